//! Limits: what uploaded code may contain, and what one call may use.
//!
//! The per-call limits a contract can observe (sizes of keys, values, messages, events; call
//! depth; memory pages) default to the ABI's published values in [`tidepool_abi::limits`].
//! Exceeding one ends the frame with [`crate::Status::LimitExceeded`] and a message naming the
//! limit. The code limits are checked once, at upload ([`crate::validate`]).

use tidepool_abi::limits as abi;

/// Every limit the VM enforces. [`Limits::default`] gives the production values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    // --- code, checked at upload ----------------------------------------------------------
    /// Largest module, bytes. Rust contracts with serde_json are 100–400 KiB; compile time
    /// grows linearly with size, so the cap bounds the work an upload can cause.
    pub max_code_size: usize,
    /// Most functions a module may define.
    pub max_functions: u32,
    /// Most table elements (initial size of each table; growth is capped by the same number).
    pub max_table_elements: u32,
    /// Most globals a module may define.
    pub max_globals: u32,
    /// Most data segments.
    pub max_data_segments: u32,

    // --- per call -------------------------------------------------------------------------
    /// Most 64 KiB pages of linear memory per frame (initial size at upload, growth at run time).
    pub max_memory_pages: u32,
    /// Native stack, bytes, that WASM code of one frame may use before it traps with a stack
    /// overflow. Deliberately far below wasmtime's 512 KiB default: nested frames each get
    /// their own allowance, and all of them must fit in the calling thread's stack together
    /// (see [`Limits::native_stack`]). 128 KiB is thousands of ordinary Rust frames; Rust
    /// contracts keep large locals on their shadow stack in linear memory, not here.
    pub max_wasm_stack: usize,
    /// Native stack, bytes, the VM may use on the thread that calls [`crate::Vm::call`] (for
    /// all nested frames together). A nested call that would leave less than
    /// `max_wasm_stack` plus a host reserve is refused as a limit. The default (1.5 MiB) fits
    /// the 2 MiB of Rust's spawned threads and tokio's workers; call the VM from a thread with
    /// at least this much stack free.
    ///
    /// How far a frame gets before overflowing depends on compiled frame sizes, so this check
    /// is not portable across CPU architectures. With the defaults it never fires: eight
    /// frames that each fill their WASM stack use about 1.1 MiB (measured: 4.5 KiB of host
    /// stack per level), so the depth limit always refuses first.
    pub native_stack: usize,
    /// Most contract frames on the call stack (the top-level call is depth 1).
    pub max_call_depth: u32,
    /// Largest input message or return data, bytes.
    pub max_message_len: u32,
    /// Largest storage key, bytes.
    pub max_key_len: u32,
    /// Largest storage value, bytes.
    pub max_value_len: u32,
    /// Largest event type, bytes.
    pub max_event_type_len: u32,
    /// Largest event data, bytes.
    pub max_event_data_len: u32,
    /// Most events per top-level call (all frames together).
    pub max_events: u32,
    /// Longest debug-log line or abort message, bytes (longer ones are truncated).
    pub max_log_len: u32,
    /// Most storage iterators open at once in one frame.
    pub max_open_iterators: u32,
    /// Longest instance label, bytes.
    pub max_label_len: u32,

    // --- host resources -------------------------------------------------------------------
    /// Instances (hence linear memories) the pooling allocator keeps ready. Every frame of
    /// every call running at the same moment holds one, so this is at least
    /// `max_call_depth × concurrent calls`. Each slot reserves 4 GiB + guard of *virtual*
    /// address space (so bounds checks compile away) but only touches the pages it uses.
    pub instance_pool_size: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_code_size: 2 * 1024 * 1024,
            max_functions: 20_000,
            max_table_elements: 16_384,
            max_globals: 1_024,
            max_data_segments: 1_024,
            max_memory_pages: abi::MAX_MEMORY_PAGES,
            max_wasm_stack: 128 * 1024,
            native_stack: 1536 * 1024,
            max_call_depth: abi::MAX_CALL_DEPTH,
            max_message_len: abi::MAX_MESSAGE_LEN,
            max_key_len: abi::MAX_KEY_LEN,
            max_value_len: abi::MAX_VALUE_LEN,
            max_event_type_len: abi::MAX_EVENT_TYPE_LEN,
            max_event_data_len: abi::MAX_EVENT_DATA_LEN,
            max_events: abi::MAX_EVENTS_PER_TX,
            max_log_len: abi::MAX_LOG_LEN,
            max_open_iterators: abi::MAX_OPEN_ITERATORS,
            max_label_len: abi::MAX_LABEL_LEN,
            // 16 calls at full depth at once: more than two cores ever run.
            instance_pool_size: 128,
        }
    }
}

impl Limits {
    /// Largest linear memory of a frame, bytes.
    pub fn max_memory_bytes(&self) -> usize {
        self.max_memory_pages as usize * 64 * 1024
    }
}
