//! Long fuzz runs: `fuzz --seed S --steps N [--seeds K] [--log] [--tolerate-known]`.
//! `--log` prints every step's actions and outcomes; `--tolerate-known` counts the
//! reported, not yet fixed program issues (`fuzz::KnownIssue`) instead of stopping.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str, default: u64| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (seed, steps, seeds) = (value("--seed", 1), value("--steps", 100_000) as usize, value("--seeds", 1));
    let options = margin_tests::fuzz::Options { tolerate_known: args.iter().any(|a| a == "--tolerate-known") };
    for s in seed..seed + seeds {
        let started = std::time::Instant::now();
        match margin_tests::fuzz::run_with(s, steps, options) {
            Ok(report) => {
                println!(
                    "seed {s}: {} steps in {:.0?}, {} landed, {} refused cleanly, {} liquidations landed, {} bad-debt write-offs",
                    report.steps,
                    started.elapsed(),
                    report.landed,
                    report.failed,
                    report.liquidations,
                    report.bad_debt
                );
                for (name, (landed, refused)) in &report.by_action {
                    println!("  {name:<26} landed {landed:>6}  refused {refused:>6}");
                }
                for (issue, count) in &report.known {
                    println!("  known issue {issue:?}: met {count} times");
                }
                if args.iter().any(|a| a == "--log") {
                    for line in &report.log {
                        println!("  | {line}");
                    }
                }
                println!("  refusals by error:");
                for ((name, error), count) in &report.refusals {
                    println!("    {name:<26} {error:<40} {count:>6}");
                }
            }
            Err(violation) => {
                eprintln!("{violation}");
                std::process::exit(1);
            }
        }
    }
}
