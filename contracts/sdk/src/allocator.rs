//! A bump allocator for wasm32: the smallest global allocator that is correct for contracts.
//!
//! The heap starts at `__heap_base` and uses the module's initial memory before growing it;
//! the sample contracts are linked with a 2 MiB initial memory (`contracts/.cargo/config.toml`)
//! so that a typical call never grows memory.
//!
//! The VM runs every call in a fresh instance, so memory never outlives one call and a general
//! purpose allocator (free lists, coalescing) would be dead weight in every `.wasm`. Allocation
//! moves a pointer forward and grows linear memory when needed; `dealloc` gives back only the
//! most recent block, and `realloc` of the most recent block grows it in place, which covers
//! the common `Vec` push / `String` build patterns. Running out of memory (the VM's page cap)
//! returns null, and Rust's allocation-error handling then aborts the call.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;

const PAGE: usize = 64 * 1024;

/// The allocator state: the next free address and the end of the memory we own.
pub struct BumpAllocator {
    state: UnsafeCell<(usize, usize)>,
}

// SAFETY: wasm32-unknown-unknown contracts are single-threaded.
unsafe impl Sync for BumpAllocator {}

impl BumpAllocator {
    /// An allocator whose heap starts where the linker put `__heap_base` (after the stack and
    /// the data) and first fills the memory the module was instantiated with.
    pub const fn new() -> Self {
        Self { state: UnsafeCell::new((0, 0)) }
    }

    fn bump(&self, layout: Layout) -> *mut u8 {
        // SAFETY: single-threaded; the only access to the state.
        let (next, end) = unsafe { &mut *self.state.get() };
        if *end == 0 {
            // First use. Growing memory is the dearest thing a call can do (gas per page, and
            // in the VM a change of the slot's page protections that every later call of the
            // contract pays to undo), so the initial memory past the data is used first.
            *end = core::arch::wasm32::memory_size(0) * PAGE;
            *next = heap_base().min(*end);
        }
        let start = match next.checked_add(layout.align() - 1) {
            Some(v) => v & !(layout.align() - 1),
            None => return core::ptr::null_mut(),
        };
        let new_next = match start.checked_add(layout.size()) {
            Some(v) => v,
            None => return core::ptr::null_mut(),
        };
        if new_next > *end {
            let pages = (new_next - *end).div_ceil(PAGE);
            if core::arch::wasm32::memory_grow(0, pages) == usize::MAX {
                return core::ptr::null_mut();
            }
            *end += pages * PAGE;
        }
        *next = new_next;
        start as *mut u8
    }
}

/// The first free address after the stack and static data (wasm-ld defines `__heap_base`).
fn heap_base() -> usize {
    unsafe extern "C" {
        static __heap_base: u8;
    }
    // Taking the address of an extern static is safe; nothing is read through it.
    &raw const __heap_base as usize
}

impl Default for BumpAllocator {
    fn default() -> Self {
        Self::new()
    }
}

unsafe impl GlobalAlloc for BumpAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.bump(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: single-threaded; the only access to the state.
        let (next, _) = unsafe { &mut *self.state.get() };
        if ptr as usize + layout.size() == *next {
            *next = ptr as usize;
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        {
            // SAFETY: single-threaded; the only access to the state.
            let (next, end) = unsafe { &mut *self.state.get() };
            if ptr as usize + layout.size() == *next {
                // The most recent block: grow or shrink it in place.
                let Some(new_next) = (ptr as usize).checked_add(new_size) else { return core::ptr::null_mut() };
                if new_next > *end {
                    let pages = (new_next - *end).div_ceil(PAGE);
                    if core::arch::wasm32::memory_grow(0, pages) == usize::MAX {
                        return core::ptr::null_mut();
                    }
                    *end += pages * PAGE;
                }
                *next = new_next;
                return ptr;
            }
        }
        // SAFETY: the layout is valid (same alignment, size checked by the caller).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let new = self.bump(new_layout);
        if !new.is_null() {
            // SAFETY: both blocks are valid for the copied length and do not overlap.
            unsafe { core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size)) };
        }
        new
    }
}
