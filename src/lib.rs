//! The Affitor browser tracker: captures affiliate clicks and sends signup (lead) events,
//! as `../shared/CONTRACT.md` describes. `loader/affitor-tracker.js` loads this module and
//! calls [`api::start`]; everything the tracker decides is decided here.
//!
//! Pure logic (`config`, `cookie`, `json`, `lead`, `id`, `queue::command`) has no browser in
//! it and is unit-tested natively; the rest is thin glue over web-sys and js-sys.
#![no_std]

extern crate alloc;
#[cfg(any(test, feature = "std", not(target_arch = "wasm32")))]
extern crate std;

pub mod api;
pub mod arg;
pub mod backoff;
pub mod click;
pub mod config;
pub mod cookie;
pub mod delivery;
pub mod id;
pub mod json;
pub mod lead;
pub mod log;
pub mod net;
pub mod outbox;
pub mod page;
pub mod queue;
pub mod state;
pub mod store;
pub mod task;
pub mod text;
pub mod track;

// The shipped build has no std: a panic is a plain trap instead of pulling in the formatting
// machinery (≈20 KB), and memory comes from a ≈1 KB allocator instead of dlmalloc.
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[global_allocator]
static ALLOC: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    // SAFETY: wasm32-unknown-unknown without the atomics feature has a single thread.
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
