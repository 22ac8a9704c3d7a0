//! Serde helpers for the checker's report-facing types that a checkpoint carries: property names
//! held as `&'static str`, and the checker's round rows kept as JSON text.
//!
//! Owns: mapping a property name read back to the one static name of [`Property::ALL`] (an unknown
//! name is a decoding error), and the JSON-text wrapper for fields whose types skip absent values
//! (`skip_serializing_if`), which the binary format cannot express.
//! Never: change how these types serialize for reports (only deserialization is added here; the JSON
//! wrapper is used by the checkpoint's state alone).

use crate::oracle::zave::properties::Property;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// The static name of the property called `s`.
#[must_use]
pub fn property(s: &str) -> Option<&'static str> {
    Property::ALL.iter().map(|p| p.name()).find(|n| *n == s)
}

fn lookup<E: serde::de::Error>(s: &str) -> Result<&'static str, E> {
    property(s).ok_or_else(|| E::custom(format!("unknown property name `{s}`")))
}

pub fn de_one<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    lookup(&String::deserialize(d)?)
}

pub fn de_vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<&'static str>, D::Error> {
    Vec::<String>::deserialize(d)?.iter().map(|s| lookup(s)).collect()
}

pub fn de_map<'de, D: Deserializer<'de>, V: Deserialize<'de>>(d: D) -> Result<BTreeMap<&'static str, V>, D::Error> {
    BTreeMap::<String, V>::deserialize(d)?.into_iter().map(|(k, v)| Ok((lookup(&k)?, v))).collect()
}

/// `#[serde(with = "json_text")]`: the value as JSON text (exact for floats: `serde_json` writes the
/// shortest text that reads back to the same bits).
pub mod json_text {
    use super::*;

    pub fn serialize<T: Serialize, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        let text = serde_json::to_string(v).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }

    pub fn deserialize<'de, T: serde::de::DeserializeOwned, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        let text = String::deserialize(d)?;
        serde_json::from_str(&text).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_property_name_maps_back_to_itself() {
        for p in Property::ALL {
            assert_eq!(property(p.name()), Some(p.name()));
        }
        assert_eq!(property("NoSuchProperty"), None);
    }
}
