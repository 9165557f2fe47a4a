//! The runtime of the shipped wasm (feature `lean`): what std would otherwise bring.
//!
//! - A panic traps at once. The message is never formatted, so no formatting machinery is linked
//!   for it; nothing in the library panics on input (fuzzed natively), so a trap is a bug report.
//! - `lol_alloc`'s free list replaces dlmalloc: first fit, kept sorted by address, neighbours
//!   merged on free. It is the smallest allocator that reuses memory (about 600 B gzip less than
//!   talc per entry, at the same speed in the bench's calls), and `tests/js/allocator.test.mjs`
//!   holds it to a long mixed workload in both entries.

#[cfg(target_feature = "atomics")]
compile_error!("the lean runtime is for single-threaded wasm (no atomics)");

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

/// The crate's one `unsafe`: `AssumeSingleThreaded` asks its caller to promise that one thread
/// uses the allocator. Without the `atomics` target feature (refused above) a wasm module cannot
/// share its memory with another thread, so the promise holds.
#[global_allocator]
#[allow(unsafe_code)]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    // SAFETY: single-threaded wasm (no `atomics`, checked above): only this thread allocates.
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
