//! The checkpoint's binary encoding: a minimal, non-self-describing serde format.
//!
//! Owns: [`to_bytes`] / [`from_bytes`] and the format rules. Integers and floats are fixed-width
//! little-endian (floats by their bits, so they round-trip exactly); `bool` and option tags are one
//! byte; sequences, maps, strings and byte strings carry a `u64` length; enum variants a `u32` index;
//! structs and tuples are their fields in declaration order, with no names. `is_human_readable` is
//! false, so types with a text form for reports (e.g. `Id` as hex) encode their raw value here.
//! Invariants: decoding consumes exactly what encoding wrote for the same type; a truncated or
//! altered input is an error, never a panic, and never allocates more than the input can justify
//! (sequence size hints are capped at the bytes left).
//! Never: support `deserialize_any` or skipped fields (`skip_serializing_if`): the reader must know the
//! shape from the type alone. Types that need either go through JSON text inside the checkpoint.
//! Why not a crate: bincode 1 is unmaintained and postcard pulls five more crates; this is the subset
//! chordsim's state uses, in one file, with no dependency beyond serde.

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::ser::{self, Serialize};
use std::fmt;

/// An encoding or decoding error (decoding errors mean a corrupt or foreign file).
#[derive(Debug)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

type Result<T> = std::result::Result<T, Error>;

/// Encodes `v`.
pub fn to_bytes<T: Serialize + ?Sized>(v: &T) -> Result<Vec<u8>> {
    let mut e = Encoder { out: Vec::new() };
    v.serialize(&mut e)?;
    Ok(e.out)
}

/// Decodes a `T` from all of `bytes` (trailing bytes are an error).
pub fn from_bytes<'de, T: serde::Deserialize<'de>>(bytes: &'de [u8]) -> Result<T> {
    let mut d = Decoder { input: bytes };
    let v = T::deserialize(&mut d)?;
    if !d.input.is_empty() {
        return Err(Error(format!("{} bytes left over after the state", d.input.len())));
    }
    Ok(v)
}

struct Encoder {
    out: Vec<u8>,
}

impl Encoder {
    fn len(&mut self, n: usize) {
        self.out.extend_from_slice(&(n as u64).to_le_bytes());
    }
}

macro_rules! put_le {
    ($($f:ident: $t:ty),*) => {$(
        fn $f(self, v: $t) -> Result<()> {
            self.out.extend_from_slice(&v.to_le_bytes());
            Ok(())
        }
    )*};
}

impl ser::Serializer for &mut Encoder {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    put_le!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64, serialize_i128: i128,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64, serialize_u128: u128,
        serialize_f32: f32, serialize_f64: f64);

    fn is_human_readable(&self) -> bool {
        false
    }
    fn serialize_bool(self, v: bool) -> Result<()> {
        self.out.push(u8::from(v));
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<()> {
        self.serialize_u32(v as u32)
    }
    fn serialize_str(self, v: &str) -> Result<()> {
        self.serialize_bytes(v.as_bytes())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        self.len(v.len());
        self.out.extend_from_slice(v);
        Ok(())
    }
    fn serialize_none(self) -> Result<()> {
        self.out.push(0);
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<()> {
        self.out.push(1);
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<()> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<()> {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, i: u32, _: &'static str) -> Result<()> {
        self.serialize_u32(i)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> Result<()> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        i: u32,
        _: &'static str,
        v: &T,
    ) -> Result<()> {
        self.serialize_u32(i)?;
        v.serialize(self)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self> {
        self.len(len.ok_or_else(|| Error("a sequence of unknown length".into()))?);
        Ok(self)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self> {
        Ok(self)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self> {
        Ok(self)
    }
    fn serialize_tuple_variant(self, _: &'static str, i: u32, _: &'static str, _: usize) -> Result<Self> {
        self.serialize_u32(i)?;
        Ok(self)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self> {
        self.len(len.ok_or_else(|| Error("a map of unknown length".into()))?);
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self> {
        Ok(self)
    }
    fn serialize_struct_variant(self, _: &'static str, i: u32, _: &'static str, _: usize) -> Result<Self> {
        self.serialize_u32(i)?;
        Ok(self)
    }
}

macro_rules! compound {
    ($($tr:ident :: $m:ident),*) => {$(
        impl ser::$tr for &mut Encoder {
            type Ok = ();
            type Error = Error;
            fn $m<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
                v.serialize(&mut **self)
            }
            fn end(self) -> Result<()> {
                Ok(())
            }
        }
    )*};
}

compound!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for &mut Encoder {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<()> {
        k.serialize(&mut **self)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        v.serialize(&mut **self)
    }
    fn end(self) -> Result<()> {
        Ok(())
    }
}

impl ser::SerializeStruct for &mut Encoder {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, _: &'static str, v: &T) -> Result<()> {
        v.serialize(&mut **self)
    }
    fn skip_field(&mut self, key: &'static str) -> Result<()> {
        Err(Error(format!("field `{key}` skipped: this format cannot skip fields")))
    }
    fn end(self) -> Result<()> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for &mut Encoder {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, _: &'static str, v: &T) -> Result<()> {
        v.serialize(&mut **self)
    }
    fn end(self) -> Result<()> {
        Ok(())
    }
}

struct Decoder<'de> {
    input: &'de [u8],
}

impl<'de> Decoder<'de> {
    fn take(&mut self, n: usize) -> Result<&'de [u8]> {
        if self.input.len() < n {
            return Err(Error("unexpected end of data (truncated file?)".into()));
        }
        let (head, rest) = self.input.split_at(n);
        self.input = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        Ok(self.take(N)?.try_into().expect("length checked"))
    }

    fn len(&mut self) -> Result<usize> {
        let n = u64::from_le_bytes(self.array()?);
        usize::try_from(n).ok().filter(|&n| n <= self.input.len().max(1) * 8 + 64).ok_or_else(|| {
            Error(format!("length {n} cannot fit in the {} bytes left (corrupt data)", self.input.len()))
        })
    }

    fn tag(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
}

macro_rules! get_le {
    ($($f:ident: $t:ty => $visit:ident),*) => {$(
        fn $f<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
            v.$visit(<$t>::from_le_bytes(self.array()?))
        }
    )*};
}

impl<'de> de::Deserializer<'de> for &mut Decoder<'de> {
    type Error = Error;

    get_le!(deserialize_i8: i8 => visit_i8, deserialize_i16: i16 => visit_i16, deserialize_i32: i32 => visit_i32,
        deserialize_i64: i64 => visit_i64, deserialize_i128: i128 => visit_i128,
        deserialize_u8: u8 => visit_u8, deserialize_u16: u16 => visit_u16, deserialize_u32: u32 => visit_u32,
        deserialize_u64: u64 => visit_u64, deserialize_u128: u128 => visit_u128,
        deserialize_f32: f32 => visit_f32, deserialize_f64: f64 => visit_f64);

    fn is_human_readable(&self) -> bool {
        false
    }
    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value> {
        Err(Error("the checkpoint format is not self-describing".into()))
    }
    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        match self.tag()? {
            0 => v.visit_bool(false),
            1 => v.visit_bool(true),
            b => Err(Error(format!("invalid bool byte {b}"))),
        }
    }
    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        let c = u32::from_le_bytes(self.array()?);
        v.visit_char(char::from_u32(c).ok_or_else(|| Error(format!("invalid char {c}")))?)
    }
    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        let n = self.len()?;
        let s = std::str::from_utf8(self.take(n)?).map_err(|e| Error(format!("invalid UTF-8: {e}")))?;
        v.visit_borrowed_str(s)
    }
    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        self.deserialize_str(v)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        let n = self.len()?;
        v.visit_borrowed_bytes(self.take(n)?)
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        self.deserialize_bytes(v)
    }
    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        match self.tag()? {
            0 => v.visit_none(),
            1 => v.visit_some(self),
            b => Err(Error(format!("invalid option tag {b}"))),
        }
    }
    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        v.visit_unit()
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, v: V) -> Result<V::Value> {
        v.visit_unit()
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, v: V) -> Result<V::Value> {
        v.visit_newtype_struct(self)
    }
    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        let n = self.len()?;
        v.visit_seq(Counted { d: self, left: n })
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, n: usize, v: V) -> Result<V::Value> {
        v.visit_seq(Counted { d: self, left: n })
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _: &'static str, n: usize, v: V) -> Result<V::Value> {
        v.visit_seq(Counted { d: self, left: n })
    }
    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        let n = self.len()?;
        v.visit_map(Counted { d: self, left: n })
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        f: &'static [&'static str],
        v: V,
    ) -> Result<V::Value> {
        v.visit_seq(Counted { d: self, left: f.len() })
    }
    fn deserialize_enum<V: Visitor<'de>>(self, _: &'static str, _: &'static [&'static str], v: V) -> Result<V::Value> {
        v.visit_enum(self)
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        self.deserialize_u32(v)
    }
    fn deserialize_ignored_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value> {
        Err(Error("the checkpoint format cannot skip values".into()))
    }
}

/// A sequence, tuple, struct or map with a known number of entries.
struct Counted<'a, 'de> {
    d: &'a mut Decoder<'de>,
    left: usize,
}

impl<'de> de::SeqAccess<'de> for Counted<'_, 'de> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.d).map(Some)
    }
    /// At most the bytes left: a preallocation (smallvec's, say) can never exceed what the input
    /// could hold, whatever length an altered file claims.
    fn size_hint(&self) -> Option<usize> {
        Some(self.left.min(self.d.input.len()))
    }
}

impl<'de> de::MapAccess<'de> for Counted<'_, 'de> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.d).map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        seed.deserialize(&mut *self.d)
    }
    /// At most the bytes left: a preallocation (smallvec's, say) can never exceed what the input
    /// could hold, whatever length an altered file claims.
    fn size_hint(&self) -> Option<usize> {
        Some(self.left.min(self.d.input.len()))
    }
}

impl<'de> de::EnumAccess<'de> for &mut Decoder<'de> {
    type Error = Error;
    type Variant = Self;
    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        let i = u32::from_le_bytes(self.array()?);
        let v = seed.deserialize(i.into_deserializer()).map_err(|e: Error| Error(format!("variant {i}: {e}")))?;
        Ok((v, self))
    }
}

impl<'de> de::VariantAccess<'de> for &mut Decoder<'de> {
    type Error = Error;
    fn unit_variant(self) -> Result<()> {
        Ok(())
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        seed.deserialize(self)
    }
    fn tuple_variant<V: Visitor<'de>>(self, n: usize, v: V) -> Result<V::Value> {
        v.visit_seq(Counted { d: self, left: n })
    }
    fn struct_variant<V: Visitor<'de>>(self, f: &'static [&'static str], v: V) -> Result<V::Value> {
        v.visit_seq(Counted { d: self, left: f.len() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};
    use std::collections::{BTreeMap, VecDeque};

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    enum E {
        A,
        B(u8),
        C { x: Option<u64>, y: f64 },
        D(i32, bool),
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct S {
        name: String,
        es: Vec<E>,
        map: BTreeMap<u64, (u32, char)>,
        q: VecDeque<u128>,
        arr: [u16; 3],
        unit: (),
    }

    fn sample() -> S {
        S {
            name: "ring ✓".into(),
            es: vec![E::A, E::B(7), E::C { x: Some(u64::MAX), y: -0.1 }, E::C { x: None, y: f64::NAN }, E::D(-3, true)],
            map: [(1, (2, 'x')), (u64::MAX, (0, '∞'))].into_iter().collect(),
            q: [1u128 << 100, 5].into_iter().collect(),
            arr: [1, 2, 3],
            unit: (),
        }
    }

    #[test]
    fn round_trips_every_shape() {
        let s = sample();
        let b = to_bytes(&s).unwrap();
        let back: S = from_bytes(&b).unwrap();
        assert_eq!(format!("{back:?}"), format!("{s:?}")); // NaN ≠ NaN, so compare the text
        assert_eq!(to_bytes(&back).unwrap(), b);
    }

    #[test]
    fn truncated_or_padded_input_is_an_error() {
        let b = to_bytes(&sample()).unwrap();
        for cut in [0, 1, 9, b.len() / 2, b.len() - 1] {
            assert!(from_bytes::<S>(&b[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = b.clone();
        longer.push(0);
        assert!(from_bytes::<S>(&longer).unwrap_err().0.contains("left over"));
        let mut bad = b;
        bad[0..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(from_bytes::<S>(&bad).unwrap_err().0.contains("length"));
    }
}
