//! Freeing large intermediate results off the critical path.
//!
//! A million-entity frame holds millions of small allocations; freeing them one by one
//! takes longer than explaining a figure from them. The command has its answer by then,
//! so they are freed on a thread of their own (and, for a command about to exit, the
//! process may end before it is done, which costs nothing).

/// Drop `value` on another thread. If no thread can be started, the closure holding it
/// is dropped at once, here.
pub fn later<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new().name("assay-free".into()).spawn(move || drop(value));
}
