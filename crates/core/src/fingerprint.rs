//! The environment a run was measured in: the machine (CPU model, logical
//! cores, memory), its operating system and kernel, and the toolchains a
//! harness reports. Two runs whose fingerprints differ are not comparable
//! by default (`regression.same_environment`): a new CPU, kernel or
//! interpreter moves timings as much as a code change does.
//!
//! This module parses what the caller read (`/proc/cpuinfo`,
//! `/proc/meminfo`, `/etc/os-release`), merges readings and names what
//! differs; reading the files is the app's job.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// What a run's environment was. Every field is optional: a harness file
/// states some facts, the local reading others, and runs recorded before
/// fingerprints existed have none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// CPU model as the machine names it (`model name` in `/proc/cpuinfo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// Logical cores (hardware threads) of the machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cores: Option<u32>,
    /// Total memory in GiB, rounded to the nearest half GiB
    /// ([`round_memory`]) so that what a VM's firmware reserves from boot
    /// to boot does not change it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_gib: Option<f64>,
    /// Operating system and version (`PRETTY_NAME` in `/etc/os-release`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// Kernel release (`uname -r`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    /// Machine architecture (`x86_64`, `aarch64`, go's `amd64`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Toolchain and harness versions a results file states, by name
    /// (`python`, `jdk`, `google_benchmark`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub toolchains: BTreeMap<String, String>,
}

/// One way two fingerprints differ: `kernel 6.1.0 → 6.8.0`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Difference {
    /// `cpu`, `cores`, `memory`, `os`, `kernel`, `arch` or a toolchain's name.
    pub field: String,
    /// What the baseline run had.
    pub baseline: String,
    /// What the judged run has.
    pub run: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} → {}", self.field, self.baseline, self.run)
    }
}

impl Fingerprint {
    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        self == &Fingerprint::default()
    }

    /// `self`, with what it does not know taken from `fallback` (field by
    /// field; toolchains key by key).
    pub fn or(mut self, fallback: &Fingerprint) -> Fingerprint {
        fn fill<T: Clone>(mine: &mut Option<T>, theirs: &Option<T>) {
            if mine.is_none() {
                mine.clone_from(theirs);
            }
        }
        fill(&mut self.cpu, &fallback.cpu);
        fill(&mut self.cores, &fallback.cores);
        fill(&mut self.memory_gib, &fallback.memory_gib);
        fill(&mut self.os, &fallback.os);
        fill(&mut self.kernel, &fallback.kernel);
        fill(&mut self.arch, &fallback.arch);
        for (k, v) in &fallback.toolchains {
            self.toolchains
                .entry(k.clone())
                .or_insert_with(|| v.clone());
        }
        self
    }

    /// How `baseline` differs from `self` (the judged run), field by field.
    /// A fact only one of them knows is no difference: a harness that
    /// starts reporting its version must not cut a project's history.
    pub fn differences(&self, baseline: &Fingerprint) -> Vec<Difference> {
        let mut out = Vec::new();
        let mut compare = |field: &str, run: Option<String>, base: Option<String>| {
            if let (Some(run), Some(base)) = (run, base)
                && run != base
            {
                out.push(Difference {
                    field: field.to_owned(),
                    baseline: base,
                    run,
                });
            }
        };
        compare("cpu", self.cpu.clone(), baseline.cpu.clone());
        compare(
            "cores",
            self.cores.map(|c| c.to_string()),
            baseline.cores.map(|c| c.to_string()),
        );
        compare(
            "memory",
            self.memory_gib.map(|m| format!("{m} GiB")),
            baseline.memory_gib.map(|m| format!("{m} GiB")),
        );
        compare("os", self.os.clone(), baseline.os.clone());
        compare("kernel", self.kernel.clone(), baseline.kernel.clone());
        compare("arch", self.arch.clone(), baseline.arch.clone());
        for (k, v) in &self.toolchains {
            compare(k, Some(v.clone()), baseline.toolchains.get(k).cloned());
        }
        out
    }
}

/// Bytes of memory as GiB, rounded to the nearest half GiB (at least half
/// a GiB). MemTotal moves by a few MiB between boots of the same VM (what
/// the firmware and kernel reserve), which must not read as another
/// machine; a half-GiB step still tells 15.5 GiB from 16 GiB.
pub fn round_memory(bytes: u64) -> f64 {
    let gib = bytes as f64 / (1024.0 * 1024.0 * 1024.0);
    ((gib * 2.0).round() / 2.0).max(0.5)
}

/// The CPU model and the number of logical cores in `/proc/cpuinfo`: the
/// first `model name` (x86, most ARM kernels) or `Model`/`Hardware` line,
/// and the count of `processor` entries.
pub fn parse_cpuinfo(text: &str) -> (Option<String>, Option<u32>) {
    let mut model: Option<String> = None;
    let mut fallback: Option<String> = None;
    let mut processors = 0u32;
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let key = key.trim();
        let value = value.trim();
        match key {
            "processor" => processors += 1,
            "model name" | "cpu model" if model.is_none() && !value.is_empty() => {
                model = Some(squeeze(value));
            }
            "Model" | "Hardware" | "cpu" if fallback.is_none() && !value.is_empty() => {
                fallback = Some(squeeze(value));
            }
            _ => {}
        }
    }
    (model.or(fallback), (processors > 0).then_some(processors))
}

/// Total memory in bytes from `/proc/meminfo`'s `MemTotal` (in kB, which
/// the kernel means as KiB).
pub fn parse_meminfo(text: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix("MemTotal:")?.trim();
        let kib: u64 = rest
            .strip_suffix("kB")
            .unwrap_or(rest)
            .trim()
            .parse()
            .ok()?;
        kib.checked_mul(1024)
    })
}

/// The operating system and version from `/etc/os-release`: `PRETTY_NAME`,
/// else `NAME VERSION_ID`, else `NAME`.
pub fn parse_os_release(text: &str) -> Option<String> {
    let mut fields: BTreeMap<&str, String> = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(value);
            if !value.is_empty() {
                fields.insert(key.trim(), value.replace("\\\"", "\""));
            }
        }
    }
    if let Some(pretty) = fields.get("PRETTY_NAME") {
        return Some(pretty.clone());
    }
    let name = fields.get("NAME")?;
    Some(match fields.get("VERSION_ID") {
        Some(v) => format!("{name} {v}"),
        None => name.clone(),
    })
}

/// An architecture under the name Rust and Linux's `uname -m` give it, so
/// that go's `amd64`, Windows' `AMD64`, BenchmarkDotNet's `X64` and
/// macOS's `arm64` read the same as the local reading (`x86_64`,
/// `aarch64`); other names are kept as written.
pub fn normalize_arch(arch: &str) -> String {
    let a = arch.trim();
    match a.to_ascii_lowercase().as_str() {
        "amd64" | "x64" | "x86_64" | "x86-64" => "x86_64".to_owned(),
        "arm64" | "aarch64" => "aarch64".to_owned(),
        "386" | "i386" | "i686" | "x86" => "x86".to_owned(),
        _ => a.to_owned(),
    }
}

/// Runs of white space as one space (cpuinfo pads some model names).
fn squeeze(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured from the VM sloe is developed on (2 vCPUs of an AMD EPYC,
    // Debian 12), whole.
    const CPUINFO_X86: &str = include_str!("../tests/fixtures/machine/cpuinfo_amd_epyc_vm.txt");

    // The layout of a Raspberry Pi 4's (aarch64, kernel 6.1): no `model
    // name`, a `Model` line at the end; written by hand after it.
    const CPUINFO_PI: &str = "processor\t: 0
BogoMIPS\t: 108.00
Features\t: fp asimd evtstrm crc32 cpuid
CPU implementer\t: 0x41
CPU part\t: 0xd08

processor\t: 1
BogoMIPS\t: 108.00

processor\t: 2
processor\t: 3
Revision\t: c03114
Model\t\t: Raspberry Pi 4 Model B Rev 1.4
";

    // The first lines of the same VM's /proc/meminfo.
    const MEMINFO: &str = include_str!("../tests/fixtures/machine/meminfo_vm.txt");

    const OS_RELEASE_DEBIAN: &str =
        include_str!("../tests/fixtures/machine/os-release_debian12.txt");
    #[test]
    fn cpuinfo_gives_model_and_logical_cores() {
        assert_eq!(
            parse_cpuinfo(CPUINFO_X86),
            (Some("AMD EPYC".to_owned()), Some(2))
        );
        assert_eq!(
            parse_cpuinfo(CPUINFO_PI),
            (Some("Raspberry Pi 4 Model B Rev 1.4".to_owned()), Some(4))
        );
        assert_eq!(parse_cpuinfo(""), (None, None));
    }

    #[test]
    fn meminfo_total_is_kib() {
        // 24683584 KiB = 23.540 GiB (24683584 / 1048576), which rounds to 23.5.
        assert_eq!(parse_meminfo(MEMINFO), Some(24_683_584 * 1024));
        assert_eq!(round_memory(24_683_584 * 1024), 23.5);
        assert_eq!(parse_meminfo("MemFree: 1 kB\n"), None);
    }

    #[test]
    fn memory_rounds_to_half_gib_so_boot_jitter_does_not_count() {
        let gib = 1024u64 * 1024 * 1024;
        // A 16 GiB VM reporting a few MiB more or less from boot to boot.
        assert_eq!(round_memory(16 * gib - 37 * 1024 * 1024), 16.0);
        assert_eq!(round_memory(16 * gib + 12 * 1024 * 1024), 16.0);
        assert_eq!(round_memory(15 * gib + gib / 2), 15.5);
        assert_eq!(round_memory(100 * 1024 * 1024), 0.5);
    }

    #[test]
    fn os_release_prefers_the_pretty_name() {
        assert_eq!(
            parse_os_release(OS_RELEASE_DEBIAN).as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(
            parse_os_release("NAME=Alpine\nVERSION_ID=3.19.1\n").as_deref(),
            Some("Alpine 3.19.1")
        );
        assert_eq!(parse_os_release("# nothing\n"), None);
    }

    #[test]
    fn architectures_read_the_same_whoever_names_them() {
        for a in ["amd64", "AMD64", "X64", "x86_64"] {
            assert_eq!(normalize_arch(a), "x86_64", "{a}");
        }
        for a in ["arm64", "aarch64", "Arm64"] {
            assert_eq!(normalize_arch(a), "aarch64", "{a}");
        }
        assert_eq!(normalize_arch("riscv64"), "riscv64");
    }

    #[test]
    fn harness_facts_win_field_by_field() {
        let harness = Fingerprint {
            cpu: Some("Apple M1".into()),
            toolchains: BTreeMap::from([("python".into(), "3.12.1".into())]),
            ..Fingerprint::default()
        };
        let local = Fingerprint {
            cpu: Some("Intel".into()),
            cores: Some(8),
            toolchains: BTreeMap::from([
                ("python".into(), "3.11".into()),
                ("rustc".into(), "1.90".into()),
            ]),
            ..Fingerprint::default()
        };
        let merged = harness.or(&local);
        assert_eq!(merged.cpu.as_deref(), Some("Apple M1"));
        assert_eq!(merged.cores, Some(8));
        assert_eq!(merged.toolchains["python"], "3.12.1");
        assert_eq!(merged.toolchains["rustc"], "1.90");
    }

    #[test]
    fn differences_name_what_changed_and_ignore_what_one_side_lacks() {
        let base = Fingerprint {
            cpu: Some("A".into()),
            cores: Some(4),
            memory_gib: Some(16.0),
            kernel: Some("6.1.0".into()),
            toolchains: BTreeMap::from([("python".into(), "3.11".into())]),
            ..Fingerprint::default()
        };
        let run = Fingerprint {
            kernel: Some("6.8.0".into()),
            os: Some("Ubuntu 24.04".into()),
            toolchains: BTreeMap::from([
                ("python".into(), "3.11".into()),
                ("jdk".into(), "21".into()),
            ]),
            ..base.clone()
        };
        let diffs: Vec<String> = run
            .differences(&base)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(diffs, ["kernel 6.1.0 → 6.8.0"]);
        assert!(base.differences(&base).is_empty());
        let bigger = Fingerprint {
            memory_gib: Some(32.0),
            ..base.clone()
        };
        assert_eq!(
            bigger.differences(&base)[0].to_string(),
            "memory 16 GiB → 32 GiB"
        );
    }
}
