//! Who acts on a [`MockChain`](super::MockChain): named [`Account`]s, and the [`HasAddress`]
//! trait that lets every method take an account, a contract or a bare address, as the
//! Sandbox's methods do.

use alloc::string::String;
use core::fmt;

use crate::Address;

/// Anything with an address: an [`Account`], a [`Contract`](super::Contract), or an
/// [`Address`] itself.
pub trait HasAddress {
    /// The address.
    fn address(&self) -> Address;
}

impl HasAddress for Address {
    fn address(&self) -> Address {
        *self
    }
}

impl<T: HasAddress + ?Sized> HasAddress for &T {
    fn address(&self) -> Address {
        (**self).address()
    }
}

/// A named account. Get one with [`MockChain::account`](super::MockChain::account), which
/// also funds it.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    name: String,
    address: Address,
}

impl Account {
    /// The account named `name`: its address is the last 20 bytes of
    /// `keccak256("tidepool mock account\0" ‖ name)`.
    pub fn from_name(name: &str) -> Account {
        let mut seed = b"tidepool mock account\0".to_vec();
        seed.extend_from_slice(name.as_bytes());
        let hash = super::keccak::keccak256(&seed);
        Account { name: name.into(), address: Address(hash[12..].try_into().expect("20 bytes")) }
    }

    /// The name it was created with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its address.
    pub fn address(&self) -> Address {
        self.address
    }
}

impl HasAddress for Account {
    fn address(&self) -> Address {
        self.address
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Account({} {})", self.name, self.address)
    }
}
