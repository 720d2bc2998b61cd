//! The CLI's key directory (`tidepool keys new|list`): one JSON file per key.
//!
//! Each key lives in `<dir>/<address>.json` (EIP-55 address) as
//!
//! ```json
//! {"address":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","name":"alice","private_key":"0x4c08…2318"}
//! ```
//!
//! with `name` optional. **The private key is stored in plaintext.** That is deliberate for a
//! dev sandbox, where the keys guard play money and scripts must read them without a prompt; the
//! files are created with mode 0600 on Unix. Do not put keys that hold real value here.
//!
//! On load the address is re-derived from the key and must match the file's `address`, so a
//! hand-edited file cannot sign as someone else unnoticed.
//!
//! A key is found by name or by address ([`Keystore::find`]), and the two never mix: a name may
//! not have an address's form, and an address finds only the key at that address — so
//! `--key 0x…` cannot sign with another key named after it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use k256::ecdsa::SigningKey;
use serde::{Deserialize, Serialize};
use tidepool_ledger::Address;

use tidepool_node::NodeError;
use tidepool_node::keys::{address_of, generate_key, parse_private_key, private_key_hex};

/// Why a key could not be stored, listed or found.
#[derive(Debug, thiserror::Error)]
pub(crate) enum KeystoreError {
    /// A key file or the key directory could not be read, written or understood.
    #[error("key file {path}: {reason}")]
    KeyFile {
        /// The file (or key directory).
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// No key in the key directory has this name or address.
    #[error("no key named or at {0} in the key directory")]
    UnknownKey(String),
    /// A name was given in an address's form (`0x` and 40 hex digits) to name a key with.
    #[error("the key name {0:?} has the form of an address (0x and 40 hex digits): choose another name")]
    AddressAsName(String),
    /// An address to find a key by is not a valid one (a mixed-case address with a wrong EIP-55
    /// checksum).
    #[error("{given} is not a valid address: {reason}")]
    InvalidAddress {
        /// What was given.
        given: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A new key could not be generated (the operating system's random number generator).
    #[error(transparent)]
    Generate(#[from] NodeError),
}

/// A directory of key files.
#[derive(Debug, Clone)]
pub(crate) struct Keystore {
    dir: PathBuf,
}

/// A key read from (or just written to) a [`Keystore`].
#[derive(Clone)]
pub(crate) struct StoredKey {
    /// The key's optional label, unique within the directory.
    pub name: Option<String>,
    /// The key's address.
    pub address: Address,
    /// The private key.
    pub key: SigningKey,
    /// The file it is stored in.
    pub path: PathBuf,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("name", &self.name)
            .field("address", &self.address)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The on-disk JSON form.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    address: Address,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    private_key: String,
}

impl Keystore {
    /// A key store over `dir` (created on the first write).
    pub(crate) fn new(dir: impl Into<PathBuf>) -> Self {
        Keystore { dir: dir.into() }
    }

    /// The directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Generates a random key and stores it under `name`.
    ///
    /// # Errors
    ///
    /// As [`Keystore::import`], and [`KeystoreError::Generate`].
    pub(crate) fn generate(&self, name: Option<&str>) -> Result<StoredKey, KeystoreError> {
        self.import(&generate_key()?, name)
    }

    /// Stores `key` under `name`.
    ///
    /// # Errors
    ///
    /// [`KeystoreError::KeyFile`] if the key is already stored, the name is taken or blank, or the
    /// file cannot be written; [`KeystoreError::AddressAsName`] if the name has an address's form.
    pub(crate) fn import(&self, key: &SigningKey, name: Option<&str>) -> Result<StoredKey, KeystoreError> {
        let address = address_of(key);
        let path = self.dir.join(format!("{address}.json"));
        if let Some(name) = name {
            if name.trim().is_empty() || name.trim() != name {
                return Err(self.error(&self.dir, "a key name must be non-blank, without surrounding spaces"));
            }
            if has_address_form(name) {
                return Err(KeystoreError::AddressAsName(name.to_owned()));
            }
            if self.list()?.iter().any(|k| k.name.as_deref() == Some(name)) {
                return Err(self.error(&self.dir, &format!("the name {name:?} is already used by another key")));
            }
        }
        let file = KeyFile { address, name: name.map(str::to_owned), private_key: private_key_hex(key) };
        let mut text = serde_json::to_string_pretty(&file).map_err(|e| self.error(&path, &e.to_string()))?;
        text.push('\n');
        fs::create_dir_all(&self.dir).map_err(|e| self.error(&self.dir, &e.to_string()))?;
        write_new_private_file(&path, text.as_bytes()).map_err(|e| {
            let reason = if e.kind() == std::io::ErrorKind::AlreadyExists {
                "this key is already stored".to_owned()
            } else {
                e.to_string()
            };
            self.error(&path, &reason)
        })?;
        Ok(StoredKey { name: file.name, address, key: key.clone(), path })
    }

    /// Every key in the directory, sorted by name (unnamed last) then address. A directory that
    /// does not exist holds no keys.
    ///
    /// # Errors
    ///
    /// [`KeystoreError::KeyFile`] if the directory or a `*.json` file in it cannot be read or does
    /// not hold a consistent key.
    pub(crate) fn list(&self) -> Result<Vec<StoredKey>, KeystoreError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.error(&self.dir, &e.to_string())),
        };
        let mut keys = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| self.error(&self.dir, &e.to_string()))?.path();
            if path.extension().is_some_and(|ext| ext == "json") {
                keys.push(self.load(&path)?);
            }
        }
        keys.sort_by(|a, b| (a.name.is_none(), &a.name, a.address).cmp(&(b.name.is_none(), &b.name, b.address)));
        Ok(keys)
    }

    /// The key at this address (`0x` and 40 hex digits, all lowercase, all uppercase or
    /// checksummed), or else the key with this name. An address matches addresses only, never a
    /// name (a key file written by hand, or before names were checked, may have one that looks
    /// like an address).
    ///
    /// # Errors
    ///
    /// [`KeystoreError::UnknownKey`] if there is none; [`KeystoreError::InvalidAddress`] for an
    /// address with a wrong checksum; as [`Keystore::list`].
    pub(crate) fn find(&self, name_or_address: &str) -> Result<StoredKey, KeystoreError> {
        let mut keys = self.list()?.into_iter();
        let found = if has_address_form(name_or_address) {
            let address = name_or_address.parse::<Address>().map_err(|e| KeystoreError::InvalidAddress {
                given: name_or_address.to_owned(),
                reason: e.to_string(),
            })?;
            keys.find(|k| k.address == address)
        } else {
            keys.find(|k| k.name.as_deref() == Some(name_or_address))
        };
        found.ok_or_else(|| KeystoreError::UnknownKey(name_or_address.to_owned()))
    }

    fn load(&self, path: &Path) -> Result<StoredKey, KeystoreError> {
        let text = fs::read_to_string(path).map_err(|e| self.error(path, &e.to_string()))?;
        let file: KeyFile = serde_json::from_str(&text).map_err(|e| self.error(path, &e.to_string()))?;
        let key = parse_private_key(&file.private_key).map_err(|e| self.error(path, &e.to_string()))?;
        if address_of(&key) != file.address {
            return Err(self.error(path, "the private key does not belong to the file's address"));
        }
        Ok(StoredKey { name: file.name, address: file.address, key, path: path.to_owned() })
    }

    fn error(&self, path: &Path, reason: &str) -> KeystoreError {
        KeystoreError::KeyFile { path: path.to_owned(), reason: reason.to_owned() }
    }
}

/// Whether `text` has an address's form, `0x` and 40 hex digits in any case, whether or not its
/// checksum is right.
fn has_address_form(text: &str) -> bool {
    Address::from_hex(text).is_ok()
}

/// Creates `path` (failing if it exists), readable and writable by its owner only, and writes
/// `contents` to it.
fn write_new_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidepool_node::keys::dev_accounts;
    use tidepool_node::{Action, Transaction};

    #[test]
    fn generate_list_find() {
        let dir = tempfile::tempdir().unwrap();
        let store = Keystore::new(dir.path().join("keys"));
        assert!(store.list().unwrap().is_empty());
        let alice = store.generate(Some("alice")).unwrap();
        let anon = store.generate(None).unwrap();
        let listed = store.list().unwrap();
        assert_eq!(listed.iter().map(|k| k.address).collect::<Vec<_>>(), [alice.address, anon.address]);
        assert_eq!(store.find("alice").unwrap().key.to_bytes(), alice.key.to_bytes());
        let lower = anon.address.to_string().to_lowercase();
        assert_eq!(store.find(&lower).unwrap().address, anon.address);
        assert!(matches!(store.find("bob"), Err(KeystoreError::UnknownKey(_))));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&alice.path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn duplicates_and_blank_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Keystore::new(dir.path());
        let alice = store.generate(Some("alice")).unwrap();
        assert!(matches!(store.import(&alice.key, None), Err(KeystoreError::KeyFile { .. })));
        assert!(matches!(store.generate(Some("alice")), Err(KeystoreError::KeyFile { .. })));
        assert!(matches!(store.generate(Some(" ")), Err(KeystoreError::KeyFile { .. })));
    }

    #[test]
    fn names_in_an_address_form_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Keystore::new(dir.path());
        let other = dev_accounts(2)[1].address.to_string();
        for name in [other.clone(), other.to_lowercase(), format!("0x{}", other[2..].to_uppercase())] {
            let refused = store.generate(Some(&name)).unwrap_err();
            assert!(matches!(refused, KeystoreError::AddressAsName(_)), "{name}: {refused}");
            assert!(refused.to_string().contains("form of an address"), "{refused}");
            let imported = store.import(&dev_accounts(1)[0].key, Some(&name));
            assert!(matches!(imported, Err(KeystoreError::AddressAsName(_))), "{name}");
        }
        // A wrong checksum is still an address's form.
        assert!(matches!(store.generate(Some(&wrong_checksum(&other))), Err(KeystoreError::AddressAsName(_))));
        assert!(store.list().unwrap().is_empty(), "nothing was stored");
        // Near misses are names.
        store.generate(Some(&other[2..])).unwrap();
        store.generate(Some(&format!("{other}0"))).unwrap();
    }

    #[test]
    fn an_address_finds_only_the_key_at_that_address() {
        let dir = tempfile::tempdir().unwrap();
        let store = Keystore::new(dir.path());
        let [deployer, victim]: [_; 2] = dev_accounts(2).try_into().ok().unwrap();
        // A key file named after another key's address, as one written by hand (or before names
        // were checked) may be: the name sorts first.
        let impostor = store.import(&deployer.key, None).unwrap();
        let text = fs::read_to_string(&impostor.path).unwrap();
        let mut file: serde_json::Value = serde_json::from_str(&text).unwrap();
        file["name"] = serde_json::json!(victim.address.to_string());
        fs::write(&impostor.path, file.to_string()).unwrap();

        let address = victim.address.to_string();
        assert!(matches!(store.find(&address), Err(KeystoreError::UnknownKey(_))), "the impostor is not found");
        let stored = store.import(&victim.key, Some("victim")).unwrap();
        for given in [address.clone(), address.to_lowercase()] {
            assert_eq!(store.find(&given).unwrap().address, stored.address, "{given}");
        }
        assert_eq!(store.find(&deployer.address.to_string()).unwrap().address, deployer.address);
        let refused = store.find(&wrong_checksum(&address)).unwrap_err();
        assert!(matches!(refused, KeystoreError::InvalidAddress { .. }), "{refused}");
    }

    /// `address` (checksummed, mixed case) with the case of its first letter flipped: the same
    /// form, a wrong checksum.
    fn wrong_checksum(address: &str) -> String {
        let at = address[2..].find(|c: char| c.is_ascii_alphabetic()).unwrap() + 2;
        let flipped = address[at..=at]
            .chars()
            .map(|c| if c.is_ascii_uppercase() { c.to_ascii_lowercase() } else { c.to_ascii_uppercase() });
        format!("{}{}{}", &address[..at], flipped.collect::<String>(), &address[at + 1..])
    }

    #[test]
    fn a_file_whose_key_does_not_match_its_address_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Keystore::new(dir.path());
        let stored = store.generate(None).unwrap();
        let other = private_key_hex(&generate_key().unwrap());
        let text = fs::read_to_string(&stored.path).unwrap();
        let tampered = text.replace(&private_key_hex(&stored.key), &other);
        fs::write(&stored.path, tampered).unwrap();
        let err = store.list().unwrap_err();
        assert!(err.to_string().contains("does not belong"), "{err}");
    }

    #[test]
    fn a_stored_key_survives_a_round_trip_and_signs() {
        let dir = tempfile::tempdir().unwrap();
        let store = Keystore::new(dir.path());
        let imported = store.import(&dev_accounts(1)[0].key, Some("deployer")).unwrap();
        assert_eq!(imported.path, dir.path().join("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266.json"));
        let text = std::fs::read_to_string(&imported.path).unwrap();
        let file: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(file["private_key"], private_key_hex(&imported.key));
        assert_eq!(file["name"], "deployer");

        let loaded = Keystore::new(dir.path()).find("deployer").unwrap();
        let tx = Transaction {
            chain_id: 1,
            nonce: 0,
            from: loaded.address,
            gas_limit: tidepool_node::apply::TX_BASE_GAS,
            action: Action::UploadCode { wasm: vec![0, 1, 2] },
        };
        assert_eq!(tx.sign(&loaded.key).unwrap().check().unwrap().sender(), imported.address);
    }
}
