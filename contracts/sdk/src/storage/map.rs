//! [`Map`]: typed values under typed keys, with range and prefix iteration in both orders.

use alloc::vec::Vec;
use core::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Key, Order, from_value, raw, to_value};
use crate::ContractError;

/// One end of a key range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound<K> {
    /// Includes this key.
    Inclusive(K),
    /// Excludes this key.
    Exclusive(K),
}

/// Values of type `V` under keys of type `K` in the namespace `ns`.
///
/// ```ignore
/// const BALANCES: Map<Address, Uint128> = Map::new("balances");
/// const ALLOWANCES: Map<(Address, Address), Uint128> = Map::new("allowances");
/// BALANCES.save(&owner, &amount)?;
/// for entry in ALLOWANCES.prefix(&owner).range(None, None, Order::Ascending) {
///     let (spender, amount) = entry?;
/// }
/// ```
pub struct Map<K, V> {
    namespace: &'static str,
    _types: PhantomData<fn() -> (K, V)>,
}

impl<K: Key, V: Serialize + DeserializeOwned> Map<K, V> {
    /// A map in the namespace `namespace` (unique within the contract; at most 65535 bytes).
    pub const fn new(namespace: &'static str) -> Self {
        Map { namespace, _types: PhantomData }
    }

    fn namespace_prefix(&self) -> Vec<u8> {
        let ns = self.namespace.as_bytes();
        let mut out = Vec::with_capacity(2 + ns.len() + 32);
        out.extend_from_slice(&(ns.len() as u16).to_be_bytes());
        out.extend_from_slice(ns);
        out
    }

    /// The full storage key of `key`.
    pub fn storage_key(&self, key: &K) -> Vec<u8> {
        let mut out = self.namespace_prefix();
        key.write_key(&mut out);
        out
    }

    /// The value under `key`, or an error if absent.
    ///
    /// # Errors
    /// [`ContractError::NotFound`] if absent; [`ContractError::Serde`] if corrupt.
    pub fn load(&self, key: &K) -> Result<V, ContractError> {
        self.may_load(key)?.ok_or_else(|| ContractError::NotFound { what: self.namespace.into() })
    }

    /// The value under `key`, if any.
    ///
    /// # Errors
    /// [`ContractError::Serde`] if the stored bytes are not a `V`.
    pub fn may_load(&self, key: &K) -> Result<Option<V>, ContractError> {
        raw::get(&self.storage_key(key)).map(|bytes| from_value(self.namespace, &bytes)).transpose()
    }

    /// Saves `value` under `key`.
    ///
    /// # Errors
    /// [`ContractError::Serde`] if `value` cannot be serialized.
    pub fn save(&self, key: &K, value: &V) -> Result<(), ContractError> {
        raw::set(&self.storage_key(key), &to_value(self.namespace, value)?);
        Ok(())
    }

    /// Removes `key`.
    pub fn remove(&self, key: &K) {
        raw::remove(&self.storage_key(key));
    }

    /// Whether `key` has a value.
    pub fn has(&self, key: &K) -> bool {
        raw::has(&self.storage_key(key))
    }

    /// Loads the value under `key` (if any), applies `f`, saves and returns the result.
    ///
    /// # Errors
    /// `f`'s error, or a load/save error.
    pub fn update<E: From<ContractError>>(&self, key: &K, f: impl FnOnce(Option<V>) -> Result<V, E>) -> Result<V, E> {
        let value = f(self.may_load(key)?)?;
        self.save(key, &value)?;
        Ok(value)
    }

    /// All entries with `min ≤ key ≤ max` (per the bounds), in `order`.
    pub fn range(
        &self,
        min: Option<Bound<K>>,
        max: Option<Bound<K>>,
        order: Order,
    ) -> impl Iterator<Item = Result<(K, V), ContractError>> + use<K, V> {
        self.as_prefix().range(min, max, order)
    }

    /// All keys with `min ≤ key ≤ max` (per the bounds), in `order`.
    pub fn keys(
        &self,
        min: Option<Bound<K>>,
        max: Option<Bound<K>>,
        order: Order,
    ) -> impl Iterator<Item = Result<K, ContractError>> + use<K, V> {
        self.as_prefix().keys(min, max, order)
    }

    fn as_prefix(&self) -> Prefix<K, V> {
        Prefix { prefix: self.namespace_prefix(), namespace: self.namespace, _types: PhantomData }
    }
}

impl<A: Key, B: Key, V: Serialize + DeserializeOwned> Map<(A, B), V> {
    /// The entries whose key starts with `first`, keyed by the second part.
    pub fn prefix(&self, first: &A) -> Prefix<B, V> {
        let mut prefix = self.namespace_prefix();
        first.write_nested(&mut prefix);
        Prefix { prefix, namespace: self.namespace, _types: PhantomData }
    }
}

impl<A: Key, B: Key, C: Key, V: Serialize + DeserializeOwned> Map<(A, B, C), V> {
    /// The entries whose key starts with `first`, keyed by the remaining parts.
    pub fn prefix(&self, first: &A) -> Prefix<(B, C), V> {
        let mut prefix = self.namespace_prefix();
        first.write_nested(&mut prefix);
        Prefix { prefix, namespace: self.namespace, _types: PhantomData }
    }
}

/// A sub-range of a [`Map`]: every entry whose key starts with some fixed parts.
pub struct Prefix<K, V> {
    prefix: Vec<u8>,
    namespace: &'static str,
    _types: PhantomData<fn() -> (K, V)>,
}

impl<K: Key, V: Serialize + DeserializeOwned> Prefix<K, V> {
    fn bounds(&self, min: Option<Bound<K>>, max: Option<Bound<K>>) -> (Vec<u8>, Option<Vec<u8>>) {
        let with = |k: &K, after: bool| {
            let mut out = self.prefix.clone();
            k.write_key(&mut out);
            if after {
                // The smallest key strictly greater than `k`.
                out.push(0);
            }
            out
        };
        let start = match &min {
            None => self.prefix.clone(),
            Some(Bound::Inclusive(k)) => with(k, false),
            Some(Bound::Exclusive(k)) => with(k, true),
        };
        let end = match &max {
            None => raw::prefix_end(&self.prefix),
            Some(Bound::Inclusive(k)) => Some(with(k, true)),
            Some(Bound::Exclusive(k)) => Some(with(k, false)),
        };
        (start, end)
    }

    /// All entries with `min ≤ key ≤ max` (per the bounds), in `order`.
    pub fn range(
        &self,
        min: Option<Bound<K>>,
        max: Option<Bound<K>>,
        order: Order,
    ) -> impl Iterator<Item = Result<(K, V), ContractError>> + use<K, V> {
        let (start, end) = self.bounds(min, max);
        let (skip, namespace) = (self.prefix.len(), self.namespace);
        raw::range(Some(&start), end.as_deref(), order).map(move |(key, value)| {
            let k = K::read_key(key.get(skip..).unwrap_or_default())?;
            Ok((k, from_value(namespace, &value)?))
        })
    }

    /// All keys with `min ≤ key ≤ max` (per the bounds), in `order`.
    pub fn keys(
        &self,
        min: Option<Bound<K>>,
        max: Option<Bound<K>>,
        order: Order,
    ) -> impl Iterator<Item = Result<K, ContractError>> + use<K, V> {
        let (start, end) = self.bounds(min, max);
        let skip = self.prefix.len();
        raw::range(Some(&start), end.as_deref(), order)
            .map(move |(key, _)| K::read_key(key.get(skip..).unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use alloc::string::String;
    use alloc::vec::Vec;

    use super::*;
    use crate::testing::MockChain;
    use crate::{Address, Item};

    const COUNTS: Map<u32, u64> = Map::new("counts");
    const OTHER: Map<u32, u64> = Map::new("counts2");
    const NESTED: Map<(Address, String), u8> = Map::new("nested");
    const SINGLE: Item<u64> = Item::new("single");

    fn in_contract<R>(f: impl FnOnce() -> R) -> R {
        let chain = MockChain::new();
        chain.run_as(&Address([1; 20]), &Address([2; 20]), f)
    }

    fn collect(it: impl Iterator<Item = Result<(u32, u64), ContractError>>) -> Vec<u32> {
        it.map(|r| r.unwrap().0).collect()
    }

    #[test]
    fn ranges_in_both_orders_with_bounds() {
        in_contract(|| {
            for k in [5u32, 1, 300, 2, 70_000] {
                COUNTS.save(&k, &u64::from(k)).unwrap();
            }
            OTHER.save(&3, &3).unwrap();
            assert_eq!(collect(COUNTS.range(None, None, Order::Ascending)), [1, 2, 5, 300, 70_000]);
            assert_eq!(collect(COUNTS.range(None, None, Order::Descending)), [70_000, 300, 5, 2, 1]);
            let (lo, hi) = (Some(Bound::Inclusive(2)), Some(Bound::Exclusive(300)));
            assert_eq!(collect(COUNTS.range(lo, hi, Order::Ascending)), [2, 5]);
            let (lo, hi) = (Some(Bound::Exclusive(2)), Some(Bound::Inclusive(300)));
            assert_eq!(collect(COUNTS.range(lo, hi, Order::Descending)), [300, 5]);
            assert_eq!(COUNTS.load(&300).unwrap(), 300);
            assert!(matches!(COUNTS.load(&4), Err(ContractError::NotFound { .. })));
            COUNTS.remove(&300);
            assert!(!COUNTS.has(&300));
            assert_eq!(COUNTS.keys(None, None, Order::Ascending).count(), 4);
        });
    }

    #[test]
    fn prefixes_select_the_first_key_part() {
        in_contract(|| {
            let (a, b) = (Address([0xaa; 20]), Address([0xbb; 20]));
            for (owner, name, v) in [(a, "x", 1), (a, "yy", 2), (b, "x", 3), (a, "", 4)] {
                NESTED.save(&(owner, String::from(name)), &v).unwrap();
            }
            let under_a: Vec<(String, u8)> =
                NESTED.prefix(&a).range(None, None, Order::Ascending).map(|r| r.unwrap()).collect();
            assert_eq!(under_a, [(String::new(), 4), (String::from("x"), 1), (String::from("yy"), 2)]);
            let under_b: Vec<String> =
                NESTED.prefix(&b).keys(None, None, Order::Descending).map(|r| r.unwrap()).collect();
            assert_eq!(under_b, [String::from("x")]);
            let all: Vec<(Address, String)> = NESTED.keys(None, None, Order::Descending).map(|r| r.unwrap()).collect();
            assert_eq!(all.len(), 4);
            assert_eq!(all[0], (b, String::from("x")));
        });
    }

    #[test]
    fn items_and_updates() {
        in_contract(|| {
            assert_eq!(SINGLE.may_load().unwrap(), None);
            assert!(SINGLE.load().is_err());
            SINGLE.save(&7).unwrap();
            assert_eq!(SINGLE.update(|v| Ok::<_, ContractError>(v + 1)).unwrap(), 8);
            assert!(SINGLE.exists());
            SINGLE.remove();
            assert!(!SINGLE.exists());
            let v = COUNTS.update(&9, |v| Ok::<_, ContractError>(v.unwrap_or(40) + 2)).unwrap();
            assert_eq!(v, 42);
        });
    }

    #[test]
    fn iteration_copes_with_values_larger_than_the_first_buffer() {
        const BIG: Map<u8, Vec<u8>> = Map::new("big");
        in_contract(|| {
            let value: Vec<u8> = (0..=255).cycle().take(5000).collect();
            BIG.save(&1, &value).unwrap();
            let read: Vec<(u8, Vec<u8>)> = BIG.range(None, None, Order::Ascending).map(|r| r.unwrap()).collect();
            assert_eq!(read, [(1, value.clone())]);
            assert_eq!(BIG.load(&1).unwrap(), value);
        });
    }
}
