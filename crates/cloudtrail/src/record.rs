//! Walks one JSON record straight into the column buffers, with no DOM in between.
//!
//! Keys of the objects CloudTrail defines are read under CloudTrail's names also when an
//! export wrote them in lowercase ([`crate::schema::KNOWN_OBJECTS`]).

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::builder::{Builder, NumText};
use crate::catalog::{LocalCatalog, ROOT};
use crate::schema::kind;

/// Deserializes one record object into a [`Builder`] row.
pub(crate) struct RecordSeed<'a, 'c> {
    pub b: &'a mut Builder,
    pub cat: &'a mut LocalCatalog<'c>,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a CloudTrail record (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        match map.next_key_seed(KeySeed)? {
            Some(first) => stream_record(first, map, self.b, self.cat),
            None => {
                self.b.begin_record();
                self.b.end_record();
                Ok(())
            }
        }
    }
}

/// Stream a record whose first key the caller has already read.
pub(crate) fn stream_record<'de, A: MapAccess<'de>>(
    first: Cow<'de, str>,
    mut map: A,
    b: &mut Builder,
    cat: &mut LocalCatalog<'_>,
) -> Result<(), A::Error> {
    b.begin_record();
    let mut key = Some(first);
    let mut prev = None;
    while let Some(k) = key {
        let id = cat.key_after(ROOT, prev, &k);
        prev = Some(id);
        let id = b.canonical(cat, ROOT, id, &k);
        if b.skips(id) {
            map.next_value::<IgnoredAny>()?;
        } else {
            map.next_value_seed(ValueSeed {
                b,
                cat,
                id,
                element: None,
            })?;
        }
        key = map.next_key_seed(KeySeed)?;
    }
    b.end_record();
    Ok(())
}

/// A key, borrowed from the input when it has no escapes.
pub(crate) struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// Any JSON value at path `id`.
struct ValueSeed<'a, 'c> {
    b: &'a mut Builder,
    cat: &'a mut LocalCatalog<'c>,
    id: u32,
    /// Set for array elements: `(array id, position)`, interned only once an element is
    /// really there, so the catalog never holds a position one past an array's end.
    element: Option<(u32, u32)>,
}

impl ValueSeed<'_, '_> {
    #[inline]
    fn resolve(&mut self) -> u32 {
        if let Some((parent, i)) = self.element.take() {
            self.id = self.cat.index(parent, i);
        }
        self.id
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E>(mut self, v: &str) -> Result<(), E> {
        let id = self.resolve();
        self.b.string(self.cat, id, v);
        Ok(())
    }

    fn visit_bool<E>(mut self, v: bool) -> Result<(), E> {
        let id = self.resolve();
        self.b.boolean(self.cat, id, v);
        Ok(())
    }

    fn visit_i64<E>(mut self, v: i64) -> Result<(), E> {
        let id = self.resolve();
        self.b.number(self.cat, id, NumText::I(v));
        Ok(())
    }

    fn visit_u64<E>(mut self, v: u64) -> Result<(), E> {
        let id = self.resolve();
        self.b.number(self.cat, id, NumText::U(v));
        Ok(())
    }

    fn visit_f64<E>(mut self, v: f64) -> Result<(), E> {
        let id = self.resolve();
        self.b.number(self.cat, id, NumText::F(v));
        Ok(())
    }

    fn visit_unit<E>(mut self) -> Result<(), E> {
        let id = self.resolve();
        self.b.marker(self.cat, id, kind::NULL);
        Ok(())
    }

    fn visit_none<E>(mut self) -> Result<(), E> {
        let id = self.resolve();
        self.b.marker(self.cat, id, kind::NULL);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        self.resolve();
        let mut any = false;
        let mut prev = None;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            any = true;
            let id = self.cat.key_after(self.id, prev, &key);
            prev = Some(id);
            let id = self.b.canonical(self.cat, self.id, id, &key);
            if self.b.skips(id) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            map.next_value_seed(ValueSeed {
                b: self.b,
                cat: self.cat,
                id,
                element: None,
            })?;
        }
        if !any {
            self.b.marker(self.cat, self.id, kind::EMPTY_OBJECT);
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        self.resolve();
        let mut i: u32 = 0;
        loop {
            let seed = ValueSeed {
                b: self.b,
                cat: self.cat,
                id: self.id,
                element: Some((self.id, i)),
            };
            if seq.next_element_seed(seed)?.is_none() {
                break;
            }
            i = i.saturating_add(1);
        }
        if i == 0 {
            self.b.marker(self.cat, self.id, kind::EMPTY_ARRAY);
        }
        Ok(())
    }
}
