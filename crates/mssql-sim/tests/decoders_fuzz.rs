//! Fuzzing on stable Rust: the same harness as the cargo-fuzz target `decode`
//! (`mssql_sim::tds::fuzz_all_decoders`) over random buffers and over mutations of valid
//! messages of every kind, from a fixed-seed generator so that a failure reproduces. A panic
//! anywhere fails the test. `DECODERS_FUZZ_ITERATIONS` runs more (the default takes a few
//! seconds in a debug build); `DECODERS_FUZZ_SEED` picks another sequence.

use mssql_sim::tds::{fuzz_all_decoders, fuzz_seeds};

/// The simulator's SplitMix64: small, fast, and the same sequence everywhere.
use mssql_sim::fixtures::Rng;

/// A random byte.
fn byte(rng: &mut Rng) -> u8 {
    rng.next_u64() as u8
}

/// Values that hit boundaries in length fields.
const INTERESTING: [u32; 10] = [
    0,
    1,
    0x7F,
    0x80,
    0xFF,
    0x100,
    0x7FFF,
    0xFFFE,
    0xFFFF,
    u32::MAX,
];

/// One to four mutations of a message: bit flips, boundary values written as 1, 2 or 4
/// bytes (length fields), insertions, deletions, truncation, a duplicated slice.
fn mutate(rng: &mut Rng, message: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(4) {
        let len = message.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                message[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let value = INTERESTING[rng.below(INTERESTING.len())];
                let width = [1, 2, 4][rng.below(3)];
                let at = rng.below(len);
                for (k, b) in value.to_le_bytes().iter().take(width).enumerate() {
                    if let Some(slot) = message.get_mut(at + k) {
                        *slot = *b;
                    }
                }
            }
            2 => {
                let at = rng.below(len + 1);
                let n = 1 + rng.below(8);
                let bytes: Vec<u8> = (0..n).map(|_| byte(rng)).collect();
                message.splice(at..at, bytes);
            }
            3 if len > 0 => {
                let at = rng.below(len);
                let end = (at + 1 + rng.below(8)).min(len);
                message.drain(at..end);
            }
            4 => message.truncate(rng.below(len + 1)),
            5 if len > 0 => {
                let at = rng.below(len);
                let end = (at + 1 + rng.below(32)).min(len);
                let copy = message[at..end].to_vec();
                let to = rng.below(len + 1);
                message.splice(to..to, copy);
            }
            _ => {
                let i = rng.below(len + 1);
                message.insert(i, byte(rng));
            }
        }
    }
}

#[test]
fn decoders_never_panic_on_random_or_mutated_input() {
    let iterations: usize = std::env::var("DECODERS_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500_000);
    let seed: u64 = std::env::var("DECODERS_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5EED);
    let seeds = fuzz_seeds();
    let mut rng = Rng(seed);
    let started = std::time::Instant::now();
    for i in 0..iterations {
        let input = if i % 4 == 0 {
            // Pure noise, mostly short.
            let len = if rng.below(8) == 0 {
                rng.below(2048)
            } else {
                rng.below(96)
            };
            (0..len).map(|_| byte(&mut rng)).collect()
        } else {
            let mut message = seeds[rng.below(seeds.len())].clone();
            mutate(&mut rng, &mut message);
            message
        };
        let result = std::panic::catch_unwind(|| fuzz_all_decoders(&input));
        assert!(
            result.is_ok(),
            "iteration {i} (DECODERS_FUZZ_SEED={seed}) panicked on {input:02X?}"
        );
    }
    eprintln!(
        "{iterations} inputs in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Writes the valid messages into the cargo-fuzz corpus, so that libFuzzer starts from them:
/// `cargo test -p mssql-sim --test decoders_fuzz -- --ignored write_fuzz_corpus`.
#[test]
#[ignore = "writes files; run by hand before cargo fuzz"]
fn write_fuzz_corpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/decode");
    std::fs::create_dir_all(&dir).unwrap();
    for (i, seed) in fuzz_seeds().iter().enumerate() {
        std::fs::write(dir.join(format!("seed-{i}")), seed).unwrap();
    }
}
