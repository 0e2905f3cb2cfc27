//! The hot path of a typical relevance expression must not allocate.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use fieldline_xpath::{evaluate_boolean, parse};

struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn simple_comparison_does_not_allocate() {
    let mut d = support::Doc::new();
    let data = d.data();
    d.el(data, "a", "yes");
    d.el(data, "b", "5");
    let expr = parse("${a} = 'yes' and ${b} > 3 and not(selected(${a}, 'no'))").unwrap();
    let expr2 = parse("${a} = 'yes' and ${b} > 3").unwrap();
    let before = ALLOCS.load(Ordering::SeqCst);
    for _ in 0..100 {
        assert!(evaluate_boolean(&expr2, &d, data).unwrap());
        assert!(evaluate_boolean(&expr, &d, data).unwrap());
    }
    assert_eq!(ALLOCS.load(Ordering::SeqCst) - before, 0);
}
