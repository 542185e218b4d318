//! Large zero matrices on transparent huge pages (issue #20).
//!
//! A fresh n × n Fisher matrix at n = 2048 is 32 MiB. The allocator maps it from the kernel, and
//! every 4 KiB page faults on its first write: 8192 faults, 15–20 ms of the Fisher build's
//! 100 ms on the reference machine, before any arithmetic (docs/performance.md). Where the
//! kernel's transparent huge pages are in `madvise` mode, as on that machine, advising the
//! allocation `MADV_HUGEPAGE` before the first write makes the faults 2 MiB each. NumPy does the
//! same for every array of 4 MiB or more (`numpy/_core/src/multiarray/alloc.c`,
//! `npy_alloc_cache`'s call to `madvise(…, MADV_HUGEPAGE)`), which is part of what the
//! side-by-side table measured.
//!
//! The advice changes no value: the matrix is filled with zeros either way, and a kernel
//! without huge pages ignores it. Off Linux, [`zeros`] is `DMatrix::zeros`.

use nalgebra::DMatrix;

use crate::scalar::Scalar;

/// From this many bytes, [`zeros`] advises huge pages (NumPy's threshold: 4 MiB).
const HUGE_PAGE_MIN_BYTES: usize = 1 << 22;

/// A zero `rows` × `cols` matrix; from [`HUGE_PAGE_MIN_BYTES`] on Linux, its memory is advised
/// `MADV_HUGEPAGE` before its first write.
///
/// `vec![0.0; len]` of f32 or f64 is a zeroed allocation (`calloc`): a large one is fresh
/// pages from the kernel, zero and not yet faulted, so the advice comes before any fault, and
/// the zeros are not written a second time.
pub(crate) fn zeros<T: Scalar>(rows: usize, cols: usize) -> DMatrix<T> {
    let mut data = vec![T::zero(); rows * cols];
    advise_huge_pages(&mut data);
    DMatrix::from_vec(rows, cols, data)
}

/// Advises `MADV_HUGEPAGE` for the whole 2 MiB pages inside `data`'s allocation.
#[cfg(target_os = "linux")]
fn advise_huge_pages<T>(data: &mut [T]) {
    const HUGE_PAGE: usize = 1 << 21;
    let bytes = core::mem::size_of_val(data);
    if bytes < HUGE_PAGE_MIN_BYTES {
        return;
    }
    let start = data.as_mut_ptr() as usize;
    let first = start.next_multiple_of(HUGE_PAGE);
    let end = (start + bytes) / HUGE_PAGE * HUGE_PAGE;
    if end > first {
        // SAFETY: [first, end) lies inside `data`, which this function borrows mutably, and is
        // page aligned.
        // MADV_HUGEPAGE is advice on how to back these pages; it neither reads nor changes
        // their contents and cannot invalidate the allocation. The result is ignored: on a
        // kernel without transparent huge pages the call fails and nothing changes.
        unsafe {
            libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
        }
    }
}

/// Off Linux there is no advice to give.
#[cfg(not(target_os = "linux"))]
fn advise_huge_pages<T>(_data: &mut [T]) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Below and above the threshold, ragged and square: all zeros, of the asked shape.
    #[test]
    fn zeros_are_zero_matrices_of_the_asked_shape() {
        for (r, c) in [(0, 0), (3, 5), (1000, 600), (2048, 300)] {
            let z = zeros::<f64>(r, c);
            assert_eq!(z, DMatrix::zeros(r, c), "{r} × {c}");
        }
        assert_eq!(zeros::<f32>(1100, 1000), DMatrix::zeros(1100, 1000));
    }
}
