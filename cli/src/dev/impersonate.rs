//! `tidepool dev impersonate`: a transaction sent as any account, without its key, through a dev
//! node's `/dev/impersonate` — a native transfer, or a contract call built as `tidepool call`
//! builds one.

use clap::{Args, Subcommand};
use tidepool_ledger::Address;
use tidepool_node::Action;

use crate::client::{Client, Execution, TxOptions, check_mined, print_receipt};

/// `tidepool dev impersonate`.
#[derive(Args)]
pub(crate) struct ImpersonateArgs {
    /// The account to act as: the transaction's sender (no key needed).
    from: Address,
    #[command(subcommand)]
    action: Impersonated,
}

/// What the impersonated account does.
#[derive(Subcommand)]
enum Impersonated {
    /// Send native tokens.
    ///
    /// Example: tidepool dev impersonate 0xRICH transfer 0xME 1000000000000000000
    Transfer {
        /// The recipient.
        to: Address,
        /// How much (base units).
        amount: u128,
        #[command(flatten)]
        options: TxOptions,
    },
    /// Execute a contract, as `tidepool call` does.
    ///
    /// Example: tidepool dev impersonate 0xOWNER execute 0xCONTRACT '{"pause":{}}'
    Execute {
        #[command(flatten)]
        execution: Execution,
        #[command(flatten)]
        options: TxOptions,
    },
}

/// Sends the transaction unsigned as `from`'s (chain id and nonce as `tidepool call` finds them)
/// and prints its receipt as `call` does; a transaction mined but failed fails the command.
pub(crate) fn run(client: &Client, args: ImpersonateArgs, json: bool) -> anyhow::Result<()> {
    let (action, options) = match args.action {
        Impersonated::Transfer { to, amount, options } => (Action::Transfer { to, amount }, options),
        Impersonated::Execute { execution, options } => (execution.action()?, options),
    };
    let health = client.get("/health")?;
    let tx = client.transaction(&health, args.from, &options, action)?;
    let receipt = client.post("/dev/impersonate", &serde_json::to_value(&tx)?)?;
    print_receipt(&receipt, json);
    check_mined(&receipt)
}
