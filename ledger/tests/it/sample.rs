//! Deterministic sample blocks: the same height always gives the same block, so a crashed
//! writer's blocks can be replayed cleanly and two backends can be fed the same history.

use tidepool_ledger::{
    Account, Address, BlockTx, CodeMeta, CodeRecord, ContractInstance, Event, Hash, NewBlock, Overlay, keccak256,
};

/// splitmix64: tiny, deterministic, good enough to pick test data.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5eed_0f71_de90_0001)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// Contracts whose addresses sit at the edges of the key space and next to each other.
pub(crate) const CONTRACTS: [Address; 5] = [
    Address([0; 20]),
    Address([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    Address([0x12; 20]),
    Address([
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xfe,
    ]),
    Address([0xff; 20]),
];

pub(crate) const EVENT_TYPES: [&str; 3] = ["transfer", "mint", "burn"];

/// The sample block for `height`: about 30 state writes over a small key space (so keys are
/// overwritten and deleted across blocks), and up to 3 transactions with up to 3 events each.
pub(crate) fn block(height: u64) -> NewBlock {
    let mut rng = Rng::new(height);
    let mut overlay = Overlay::default();
    for _ in 0..30 {
        let contract = CONTRACTS[rng.below(CONTRACTS.len() as u64) as usize];
        let key = [b'k', rng.below(40) as u8];
        match rng.below(10) {
            0..=5 => overlay.storage_set(&contract, &key, &rng.next_u64().to_le_bytes()[..1 + rng.below(8) as usize]),
            6 | 7 => overlay.storage_remove(&contract, &key),
            8 => {
                let account = Account { nonce: height, balance: u128::from(rng.next_u64()) };
                overlay.set_account(&Address([rng.below(8) as u8; 20]), &account);
            }
            _ => {
                let wasm = rng.next_u64().to_le_bytes().repeat(4);
                let hash = keccak256(&wasm);
                let meta = CodeMeta {
                    uploader: contract,
                    uploaded_at: height,
                    size: wasm.len() as u32,
                    entry_points: vec!["execute".into()],
                    reentrant: false,
                };
                overlay.set_code(&hash, &CodeRecord { wasm, meta });
                let instance = ContractInstance {
                    code_hash: hash,
                    admin: None,
                    creator: contract,
                    label: format!("c{height}"),
                    created_at: height,
                };
                overlay.set_instance(&contract, &instance);
            }
        }
    }
    let txs = (0..rng.below(4))
        .map(|tx_index| {
            let hash = keccak256(&[height.to_be_bytes(), tx_index.to_be_bytes()].concat());
            let events = (0..rng.below(4))
                .map(|_| Event {
                    contract: CONTRACTS[rng.below(CONTRACTS.len() as u64) as usize],
                    ty: EVENT_TYPES[rng.below(EVENT_TYPES.len() as u64) as usize].into(),
                    data: rng.next_u64().to_le_bytes().to_vec(),
                })
                .collect();
            BlockTx {
                hash,
                tx: format!("tx {height}/{tx_index}").into_bytes(),
                receipt: vec![rng.below(2) as u8],
                events,
            }
        })
        .collect();
    NewBlock { time: 1_700_000_000 + height * 2, changes: overlay.into_changes(), txs }
}

/// A hash no sample transaction has.
pub(crate) fn unknown_hash() -> Hash {
    Hash([0xee; 32])
}
