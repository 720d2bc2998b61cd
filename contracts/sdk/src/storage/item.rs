//! [`Item`]: one typed value under a fixed key.

use core::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{from_value, raw, to_value};
use crate::ContractError;

/// A single value of type `T` stored under a fixed key, e.g. a contract's config.
///
/// ```ignore
/// const CONFIG: Item<Config> = Item::new("config");
/// CONFIG.save(&config)?;
/// let config = CONFIG.load()?;
/// ```
pub struct Item<T> {
    key: &'static str,
    _value: PhantomData<fn() -> T>,
}

impl<T: Serialize + DeserializeOwned> Item<T> {
    /// An item stored at `key`. Keys must be unique within the contract (and not collide with
    /// a [`Map`](super::Map)'s entries; a map's keys start with a 2-byte length, so a
    /// printable item name never does).
    pub const fn new(key: &'static str) -> Self {
        Item { key, _value: PhantomData }
    }

    /// The value, or an error if it was never saved.
    ///
    /// # Errors
    /// [`ContractError::NotFound`] if absent; [`ContractError::Serde`] if the stored bytes are
    /// not a `T`.
    pub fn load(&self) -> Result<T, ContractError> {
        self.may_load()?.ok_or_else(|| ContractError::NotFound { what: self.key.into() })
    }

    /// The value, if saved.
    ///
    /// # Errors
    /// [`ContractError::Serde`] if the stored bytes are not a `T`.
    pub fn may_load(&self) -> Result<Option<T>, ContractError> {
        raw::get(self.key.as_bytes()).map(|bytes| from_value(self.key, &bytes)).transpose()
    }

    /// Saves `value`.
    ///
    /// # Errors
    /// [`ContractError::Serde`] if `value` cannot be serialized.
    pub fn save(&self, value: &T) -> Result<(), ContractError> {
        raw::set(self.key.as_bytes(), &to_value(self.key, value)?);
        Ok(())
    }

    /// Removes the value.
    pub fn remove(&self) {
        raw::remove(self.key.as_bytes());
    }

    /// Whether a value is saved.
    pub fn exists(&self) -> bool {
        raw::has(self.key.as_bytes())
    }

    /// Loads the value (which must exist), applies `f`, saves and returns the result.
    ///
    /// # Errors
    /// `f`'s error, or a load/save error.
    pub fn update<E: From<ContractError>>(&self, f: impl FnOnce(T) -> Result<T, E>) -> Result<T, E> {
        let value = f(self.load()?)?;
        self.save(&value)?;
        Ok(value)
    }
}
