//! Long fuzz runs: `fuzz --seed S --steps N [--seeds K]`.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str, default: u64| {
        args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
    };
    let (seed, steps, seeds) = (value("--seed", 1), value("--steps", 100_000) as usize, value("--seeds", 1));
    for s in seed..seed + seeds {
        match margin_tests::fuzz::run(s, steps) {
            Ok(report) => {
                println!("seed {s}: {} steps, {} landed, {} failed cleanly, {} liquidations, {} bad-debt write-offs", report.steps, report.landed, report.failed, report.liquidations, report.bad_debt);
                let mut actions: Vec<_> = report.by_action.iter().collect();
                actions.sort();
                for (name, (landed, failed)) in actions {
                    println!("  {name:<20} landed {landed:>6}  failed {failed:>6}");
                }
            }
            Err(violation) => {
                eprintln!("{violation}");
                std::process::exit(1);
            }
        }
    }
}
