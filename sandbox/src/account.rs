//! Who acts in a Sandbox: named [`Account`]s with their own keys (every transaction they send is
//! signed), [`Impersonated`] addresses (unsigned dev transactions), and the two traits that let
//! the Sandbox's methods take either — [`HasAddress`] and [`Sender`].

use std::fmt;

use k256::ecdsa::SigningKey;
use tidepool_ledger::{Address, keccak256};

use tidepool_node::keys::address_of;

/// Anything with an address: an [`Account`], an [`Impersonated`] address, a
/// [`Contract`](super::Contract), or an [`Address`] itself. Balance helpers take any of them.
pub trait HasAddress {
    /// The address.
    fn address(&self) -> Address;

    /// The address as another crate's address type: any type that is `From<[u8; 20]>`, such as
    /// the SDK's `tidepool_sdk::Address`, which your contract's messages use. The Sandbox's
    /// [`Address`] is the node's type, not the SDK's (the Sandbox does not depend on the SDK),
    /// so a message field takes `alice.address_as()`, the type inferred from the field. The
    /// other way is `Address(sdk_address.0)`. Both spell the same JSON string.
    ///
    /// # Examples
    ///
    /// ```
    /// use tidepool_sandbox::prelude::*;
    /// # mod tidepool_sdk {
    /// #     /// As the SDK declares it.
    /// #     #[derive(Debug, PartialEq)]
    /// #     pub struct Address(pub [u8; 20]);
    /// #     impl From<[u8; 20]> for Address {
    /// #         fn from(bytes: [u8; 20]) -> Address { Address(bytes) }
    /// #     }
    /// # }
    ///
    /// // A contract's message, as in your crate.
    /// struct Transfer { to: tidepool_sdk::Address, amount: u128 }
    ///
    /// let sandbox = Sandbox::new();
    /// let bob = sandbox.account("bob");
    /// let msg = Transfer { to: bob.address_as(), amount: 5 };
    /// assert_eq!(msg.to, bob.address_as());
    /// assert_eq!(Address(msg.to.0), bob.address());
    /// ```
    fn address_as<T: From<[u8; 20]>>(&self) -> T
    where
        Self: Sized,
    {
        T::from(self.address().0)
    }
}

/// Who sends a transaction: an [`Account`] signs it with its key; an [`Impersonated`] address
/// sends it unsigned through the node's impersonation control.
pub trait Sender: HasAddress {
    /// The key that signs, or `None` to impersonate.
    fn signing_key(&self) -> Option<&SigningKey>;
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

impl<T: Sender + ?Sized> Sender for &T {
    fn signing_key(&self) -> Option<&SigningKey> {
        (**self).signing_key()
    }
}

/// A named account of a Sandbox, with its own secp256k1 key: the key (hence the address) is a
/// pure function of the name, so `alice` has the same address in every Sandbox and every run.
///
/// Get one with [`Sandbox::account`](super::Sandbox::account), which also funds it.
#[derive(Clone)]
pub struct Account {
    name: String,
    key: SigningKey,
    address: Address,
}

impl Account {
    /// The account named `name` (not funded: [`Sandbox::account`](super::Sandbox::account)
    /// funds it). Its key is derived from the name, so never use it outside tests.
    ///
    /// # Examples
    ///
    /// ```
    /// use tidepool_sandbox::Account;
    ///
    /// let alice = Account::from_name("alice");
    /// assert_eq!(alice.address(), Account::from_name("alice").address());
    /// assert_ne!(alice.address(), Account::from_name("bob").address());
    /// ```
    pub fn from_name(name: &str) -> Account {
        let key = key_for_name(name);
        Account { name: name.to_owned(), address: address_of(&key), key }
    }

    /// An account with a given key (e.g. a dev account's), named `name` in traces.
    pub fn from_key(name: &str, key: SigningKey) -> Account {
        Account { name: name.to_owned(), address: address_of(&key), key }
    }

    /// The name it was created with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// Its signing key (to sign transactions by hand, e.g. to test a tampered signature).
    pub fn key(&self) -> &SigningKey {
        &self.key
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Account({} {})", self.name, self.address)
    }
}

impl HasAddress for Account {
    fn address(&self) -> Address {
        self.address
    }
}

impl Sender for Account {
    fn signing_key(&self) -> Option<&SigningKey> {
        Some(&self.key)
    }
}

/// An address acting without its key: transactions "from" it are executed unsigned, as if it
/// had signed them (the node's dev-mode impersonation). Any address works, a contract's
/// included. Get one with [`Sandbox::impersonate`](super::Sandbox::impersonate).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Impersonated(pub Address);

impl HasAddress for Impersonated {
    fn address(&self) -> Address {
        self.0
    }
}

impl Sender for Impersonated {
    fn signing_key(&self) -> Option<&SigningKey> {
        None
    }
}

/// keccak256 of a domain tag, the name and a counter, until the digest is a valid secp256k1
/// scalar (the first try fails with probability about 2^-128).
fn key_for_name(name: &str) -> SigningKey {
    (0u32..)
        .find_map(|attempt| {
            let mut seed = b"tidepool sandbox account\0".to_vec();
            seed.extend_from_slice(name.as_bytes());
            seed.extend_from_slice(&attempt.to_le_bytes());
            SigningKey::from_slice(&keccak256(&seed).0).ok()
        })
        .expect("some attempt yields a valid key")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_deterministic_and_distinct() {
        let a = Account::from_name("alice");
        assert_eq!(a.key().to_bytes(), Account::from_name("alice").key().to_bytes());
        assert_ne!(a.address(), Account::from_name("Alice").address());
        assert_eq!(a.address(), address_of(a.key()));
        assert_eq!(format!("{a:?}"), format!("Account(alice {})", a.address()));
    }
}
