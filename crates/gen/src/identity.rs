//! `userIdentity` shapes and their JSON form.

use crate::json::W;
use crate::rng::Rng;

/// `userIdentity.type` (or its absence).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    IamUser,
    AssumedRole,
    Root,
    AwsService,
    Federated,
    /// No `type` at all: `{"accountId":…,"invokedBy":…}`.
    Absent,
}

/// `sessionContext.sessionIssuer`.
#[derive(Clone, Debug)]
pub(crate) struct Issuer {
    pub kind: &'static str,
    pub principal: String,
    pub arn: String,
    pub account: String,
    pub name: String,
}

/// One identity as CloudTrail records it.
#[derive(Clone, Debug)]
pub(crate) struct Identity {
    pub kind: Kind,
    pub principal: Option<String>,
    pub arn: Option<String>,
    pub account: String,
    pub access_key: Option<String>,
    pub user_name: Option<String>,
    pub issuer: Option<Issuer>,
    /// Write a `sessionContext` (console sessions, assumed roles, federated users).
    pub session: bool,
    pub mfa: bool,
    pub invoked_by: Option<&'static str>,
}

fn prefixed(rng: &mut Rng, prefix: &str, n: usize) -> String {
    let mut s = String::with_capacity(prefix.len() + n);
    s.push_str(prefix);
    rng.upper_into(&mut s, n);
    s
}

impl Identity {
    /// An IAM user using long-term keys (CLI/SDK), no session context.
    pub(crate) fn iam_user(rng: &mut Rng, account: &str, name: &str) -> Self {
        Identity {
            kind: Kind::IamUser,
            principal: Some(prefixed(rng, "AIDA", 17)),
            arn: Some(format!("arn:aws:iam::{account}:user/{name}")),
            account: account.to_string(),
            access_key: Some(prefixed(rng, "AKIA", 16)),
            user_name: Some(name.to_string()),
            issuer: None,
            session: false,
            mfa: false,
            invoked_by: None,
        }
    }

    /// The same user signed in to the console (temporary `ASIA` key, MFA session).
    pub(crate) fn console_of(&self, rng: &mut Rng) -> Self {
        let mut c = self.clone();
        c.access_key = Some(prefixed(rng, "ASIA", 16));
        c.session = true;
        c.mfa = true;
        c
    }

    /// An assumed-role session.
    pub(crate) fn assumed_role(
        rng: &mut Rng,
        account: &str,
        role: &str,
        role_path: &str,
        session: &str,
        invoked_by: Option<&'static str>,
    ) -> Self {
        let role_id = prefixed(rng, "AROA", 17);
        Identity {
            kind: Kind::AssumedRole,
            principal: Some(format!("{role_id}:{session}")),
            arn: Some(format!(
                "arn:aws:sts::{account}:assumed-role/{role}/{session}"
            )),
            account: account.to_string(),
            access_key: Some(prefixed(rng, "ASIA", 16)),
            user_name: None,
            issuer: Some(Issuer {
                kind: "Role",
                principal: role_id,
                arn: format!("arn:aws:iam::{account}:role{role_path}{role}"),
                account: account.to_string(),
                name: role.to_string(),
            }),
            session: true,
            mfa: false,
            invoked_by,
        }
    }

    /// The account root user in a console session.
    pub(crate) fn root(account: &str, key: String) -> Self {
        Identity {
            kind: Kind::Root,
            principal: Some(account.to_string()),
            arn: Some(format!("arn:aws:iam::{account}:root")),
            account: account.to_string(),
            access_key: Some(key),
            user_name: None,
            issuer: None,
            session: true,
            mfa: false,
            invoked_by: None,
        }
    }

    /// An AWS service acting on the account's behalf (no ARN).
    pub(crate) fn aws_service(service: &'static str) -> Self {
        Identity {
            kind: Kind::AwsService,
            principal: None,
            arn: None,
            account: String::new(),
            access_key: None,
            user_name: None,
            issuer: None,
            session: false,
            mfa: false,
            invoked_by: Some(service),
        }
    }

    /// No `type`: only `accountId` and `invokedBy`.
    pub(crate) fn absent(account: &str, service: &'static str) -> Self {
        Identity {
            kind: Kind::Absent,
            account: account.to_string(),
            ..Identity::aws_service(service)
        }
    }

    /// A federated user (GetFederationToken through a broker IAM user).
    pub(crate) fn federated(rng: &mut Rng, account: &str, broker: &str, name: &str) -> Self {
        let broker_id = prefixed(rng, "AIDA", 17);
        Identity {
            kind: Kind::Federated,
            principal: Some(format!("{account}:{name}")),
            arn: Some(format!("arn:aws:sts::{account}:federated-user/{name}")),
            account: account.to_string(),
            access_key: Some(prefixed(rng, "ASIA", 16)),
            user_name: None,
            issuer: Some(Issuer {
                kind: "IAMUser",
                principal: broker_id,
                arn: format!("arn:aws:iam::{account}:user/{broker}"),
                account: account.to_string(),
                name: broker.to_string(),
            }),
            session: true,
            mfa: false,
            invoked_by: None,
        }
    }

    /// A failed console sign-in: no ARN, empty key, user name or the hidden marker.
    pub(crate) fn failed_signin(account: &str, principal: Option<&str>, user: &str) -> Self {
        Identity {
            kind: Kind::IamUser,
            principal: principal.map(str::to_string),
            arn: None,
            account: account.to_string(),
            access_key: Some(String::new()),
            user_name: Some(user.to_string()),
            issuer: None,
            session: false,
            mfa: false,
            invoked_by: None,
        }
    }

    /// As it appears on a successful `ConsoleLogin` (no key, no session context).
    pub(crate) fn for_signin(&self) -> Self {
        let mut c = self.clone();
        c.access_key = None;
        c.session = false;
        c
    }

    /// Writes `"userIdentity":{…}`.
    pub(crate) fn write(&self, w: &mut W, time: i64, rng: &mut Rng) {
        w.kobj("userIdentity");
        let ty = match self.kind {
            Kind::IamUser => Some("IAMUser"),
            Kind::AssumedRole => Some("AssumedRole"),
            Kind::Root => Some("Root"),
            Kind::AwsService => Some("AWSService"),
            Kind::Federated => Some("FederatedUser"),
            Kind::Absent => None,
        };
        if let Some(t) = ty {
            w.ks("type", t);
        }
        if let Some(p) = &self.principal {
            w.ks("principalId", p);
        }
        if let Some(a) = &self.arn {
            w.ks("arn", a);
        }
        if !self.account.is_empty() {
            w.ks("accountId", &self.account);
        }
        if let Some(k) = &self.access_key {
            w.ks("accessKeyId", k);
        }
        if let Some(u) = &self.user_name {
            w.ks("userName", u);
        }
        if self.session {
            w.kobj("sessionContext");
            w.kobj("sessionIssuer");
            if let Some(i) = &self.issuer {
                w.ks("type", i.kind);
                w.ks("principalId", &i.principal);
                w.ks("arn", &i.arn);
                w.ks("accountId", &i.account);
                w.ks("userName", &i.name);
            }
            w.end();
            w.kempty("webIdFederationData");
            w.kobj("attributes");
            let age = rng.range(30, 3 * 3600) as i64;
            w.kts("creationDate", time - age);
            w.ks("mfaAuthenticated", if self.mfa { "true" } else { "false" });
            w.end();
            w.end();
        }
        if let Some(s) = self.invoked_by {
            w.ks("invokedBy", s);
        }
        w.end();
    }
}
