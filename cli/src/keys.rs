//! `tidepool keys`: a local key directory (plaintext JSON key files, mode 0600 — a dev sandbox's
//! keystore, not a wallet for real value).

use std::path::PathBuf;

use crate::keystore::Keystore;
use crate::output::outln;
use clap::{Args, Subcommand};
use tidepool_node::keys::parse_private_key;

/// Where keys live (default `~/.tidepool/keys`, or `$TIDEPOOL_KEYS`).
#[derive(Args, Clone)]
pub(crate) struct KeysDir {
    /// Key directory.
    #[arg(long, env = "TIDEPOOL_KEYS", global = true)]
    pub keys_dir: Option<PathBuf>,
}

impl KeysDir {
    /// The keystore.
    pub(crate) fn keystore(&self) -> Keystore {
        let dir = self.keys_dir.clone().unwrap_or_else(|| {
            std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(".")).join(".tidepool/keys")
        });
        Keystore::new(dir)
    }
}

/// `tidepool keys …`
#[derive(Args)]
pub(crate) struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
    #[command(flatten)]
    dir: KeysDir,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Generate a new key.
    ///
    /// Example: tidepool keys new --name alice
    New {
        /// A name to refer to the key by.
        #[arg(long)]
        name: Option<String>,
    },
    /// Import a private key (0x hex).
    ///
    /// Example: tidepool keys import 0xac09…ff80 --name dev0
    Import {
        /// The private key.
        private_key: String,
        /// A name to refer to the key by.
        #[arg(long)]
        name: Option<String>,
    },
    /// List the keys.
    List,
}

/// Runs `tidepool keys`.
pub(crate) fn run(args: KeysArgs, json: bool) -> anyhow::Result<()> {
    let keystore = args.dir.keystore();
    let keys = match args.command {
        KeysCommand::New { name } => vec![keystore.generate(name.as_deref())?],
        KeysCommand::Import { private_key, name } => {
            vec![keystore.import(&parse_private_key(&private_key)?, name.as_deref())?]
        }
        KeysCommand::List => keystore.list()?,
    };
    if json {
        let list: Vec<_> =
            keys.iter().map(|k| serde_json::json!({"name": k.name, "address": k.address, "path": k.path})).collect();
        outln!("{}", serde_json::to_string_pretty(&list)?);
    } else if keys.is_empty() {
        outln!("no keys in {}", keystore.dir().display());
    } else {
        for k in &keys {
            outln!("{}  {:<12} {}", k.address, k.name.as_deref().unwrap_or("-"), k.path.display());
        }
    }
    Ok(())
}
