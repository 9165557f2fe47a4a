//! The runtime of the shipped wasm (feature `lean`): what std would otherwise bring.
//!
//! - A panic traps at once. The message is never formatted, so no formatting machinery is linked
//!   for it; nothing in the library panics on input (fuzzed natively), so a trap is a bug report.
//! - `talc` replaces dlmalloc: smaller, and its constructor is safe on single-threaded wasm.

#[cfg(target_feature = "atomics")]
compile_error!("the lean runtime is for single-threaded wasm (no atomics)");

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
