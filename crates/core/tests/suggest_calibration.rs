//! How often a run from the same distribution breaks a suggested budget
//! (`sloe_core::suggest`): the false failures a budget proposed from history
//! costs, and how tight it is. Histories of log-normal per-run statistics
//! at several noise levels; each suggestion is then faced with fresh runs
//! from the same distribution. A seeded splitmix64 keeps the figures
//! reproducible.

use sloe_core::Direction;
use sloe_core::suggest::suggest;
use sloe_core::units::Unit;

/// splitmix64 (Steele, Lea & Flood 2014) with Box–Muller normals.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// (share of fresh runs failing, mean limit / true median) over `histories`
/// histories of `runs` runs at `noise` (log-scale standard deviation).
fn calibrate(runs: usize, noise: f64, direction: Direction, seed: u64) -> (f64, f64) {
    const HISTORIES: usize = 2000;
    const FRESH: usize = 200;
    let mut rng = Rng(seed);
    let median = 12.5e6; // 12.5 ms
    let (mut failed, mut ratio) = (0usize, 0.0);
    for _ in 0..HISTORIES {
        let history: Vec<f64> = (0..runs)
            .map(|_| median * (noise * rng.normal()).exp())
            .collect();
        let limit = suggest(&history, direction, &Unit::Nanoseconds)
            .expect("a suggestion")
            .canonical();
        ratio += limit / median;
        failed += (0..FRESH)
            .filter(|_| {
                let v = median * (noise * rng.normal()).exp();
                match direction {
                    Direction::LowerIsBetter => v > limit,
                    Direction::HigherIsBetter => v < limit,
                }
            })
            .count();
    }
    (
        failed as f64 / (HISTORIES * FRESH) as f64,
        ratio / HISTORIES as f64,
    )
}

#[test]
fn fresh_runs_rarely_break_a_suggested_budget() {
    let mut table = String::from("runs  noise  direction  fresh runs failing  limit / median\n");
    for runs in [10, 30] {
        for noise in [0.005, 0.03, 0.08] {
            for direction in [Direction::LowerIsBetter, Direction::HigherIsBetter] {
                let (fail, ratio) = calibrate(runs, noise, direction, 7 + runs as u64);
                // Measured (this table, seeds 17 and 37): at most 0.66 % with
                // 10 runs, 0.07 % with 30; the limit 3 % (quiet) to 36 % (8 %
                // noise) from the median.
                assert!(fail <= 0.01, "{runs} runs at {noise}: {fail}");
                let away = match direction {
                    Direction::LowerIsBetter => ratio - 1.0,
                    Direction::HigherIsBetter => 1.0 / ratio - 1.0,
                };
                assert!(
                    (0.02..0.5).contains(&away),
                    "{runs} runs at {noise}: {ratio}"
                );
                table.push_str(&format!(
                    "{runs:>4}  {:>4.1} %  {:>9}  {:>17.2} %  {ratio:>14.3}\n",
                    noise * 100.0,
                    if direction == Direction::LowerIsBetter {
                        "max"
                    } else {
                        "min"
                    },
                    fail * 100.0
                ));
            }
        }
    }
    eprintln!("{table}");
}
