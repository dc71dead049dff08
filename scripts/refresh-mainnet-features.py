#!/usr/bin/env python3
"""Regenerates data/mainnet-beta-features.txt: the feature gates active on
mainnet-beta, as the litesvm crate lists them for `with_mainnet_features()`
(litesvm src/features.rs, which its maintainers source from the cluster), with
each name resolved to its id through the agave-feature-set crate litesvm builds on.

Usage: scripts/refresh-mainnet-features.py [LITESVM_VERSION [AGAVE_FEATURE_SET_VERSION]]
Downloads both crates from crates.io into a temporary directory; commit the
result together with the versions it names (the header records them).
"""
import io, re, sys, tarfile, tempfile, urllib.request, pathlib

LITESVM = sys.argv[1] if len(sys.argv) > 1 else "0.18.1"
FEATURE_SET = sys.argv[2] if len(sys.argv) > 2 else "4.3.0"
OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "mainnet-beta-features.txt"


def crate_file(name, version, path):
    url = f"https://static.crates.io/crates/{name}/{name}-{version}.crate"
    with urllib.request.urlopen(url) as response:
        archive = tarfile.open(fileobj=io.BytesIO(response.read()), mode="r:gz")
    return archive.extractfile(f"{name}-{version}/{path}").read().decode()


def feature_ids(source):
    """Maps `a::b::c` module paths to the id their `declare_id!` names."""
    ids, stack = {}, []
    for line in source.splitlines():
        stripped = line.strip()
        module = re.match(r"pub mod (\w+) \{", stripped)
        if module:
            stack.append(module.group(1))
            continue
        declared = re.search(r'declare_id!\("(\w+)"\)', stripped)
        if declared and stack:
            ids["::".join(stack)] = declared.group(1)
        if stripped == "}" and stack:
            stack.pop()
    return ids


def main():
    ids = feature_ids(crate_file("agave-feature-set", FEATURE_SET, "src/lib.rs"))
    listing = crate_file("litesvm", LITESVM, "src/features.rs")
    sourced = re.search(r"sourced from the cluster on ([0-9-]+)", listing)
    flat = re.sub(r"\s+", "", listing)
    entries = re.findall(r"\(agave_feature_set::([\w:]+)::ID,(\d+),?\)", flat)
    lines = [
        "# Feature gates active on Solana mainnet-beta: <id> <activation slot> <name>.",
        f"# Source: litesvm {LITESVM} src/features.rs (MAINNET_ACTIVE_FEATURES, the list behind",
        f"# with_mainnet_features()), sourced from the cluster on {sourced.group(1) if sourced else 'unknown'};",
        f"# ids from agave-feature-set {FEATURE_SET}. Regenerate: scripts/refresh-mainnet-features.py",
    ]
    for name, slot in entries:
        if name not in ids:
            sys.exit(f"feature {name} has no id in agave-feature-set {FEATURE_SET}")
        lines.append(f"{ids[name]} {slot} {name}")
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")
    print(f"{OUT}: {len(entries)} features")


if __name__ == "__main__":
    main()
