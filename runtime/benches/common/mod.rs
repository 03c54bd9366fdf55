//! Pieces shared by the benches (a module of each bench target, not a target of its own).

use std::hint::black_box;
use std::time::{Duration, Instant};

/// A load-robust view for a shared machine, printed beside criterion's: the ops of a group run
/// round-robin for `rounds` rounds (each op timed over a batch of at least ~20 µs, one call for
/// slower ops), so a burst of load from other processes hits all of them alike. Prints per op
/// the minimum and the median over the rounds, and the minimum's ratio to the first op's (the
/// floor).
pub fn report_interleaved<R, F: FnMut() -> R>(group: &str, rounds: usize, ops: &mut [(&str, F)]) {
    let batch: Vec<u32> = ops
        .iter_mut()
        .map(|(_, op)| {
            let mut best = Duration::MAX;
            for _ in 0..20 {
                let t = Instant::now();
                black_box(op());
                best = best.min(t.elapsed());
            }
            (20_000 / best.as_nanos().max(1)).clamp(1, 10_000) as u32
        })
        .collect();
    let mut times = vec![Vec::with_capacity(rounds); ops.len()];
    for _ in 0..rounds {
        for (i, (_, op)) in ops.iter_mut().enumerate() {
            let t = Instant::now();
            for _ in 0..batch[i] {
                black_box(op());
            }
            times[i].push(t.elapsed().as_nanos() as f64 / f64::from(batch[i]));
        }
    }
    for t in &mut times {
        t.sort_by(f64::total_cmp);
    }
    eprintln!("\n[interleaved] {group}: {rounds} round-robin rounds, time per op");
    eprintln!("[interleaved] {:<52} {:>11} {:>11} {:>8}", "implementation", "min", "median", "min/1st");
    let first = times[0][0];
    for ((name, _), t) in ops.iter().zip(&times) {
        eprintln!(
            "[interleaved] {:<52} {:>8.3} µs {:>8.3} µs {:>8.2}",
            name,
            t[0] / 1000.0,
            t[t.len() / 2] / 1000.0,
            t[0] / first
        );
    }
}
