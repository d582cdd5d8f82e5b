//! Whether the machine is a VM and under which hypervisor: the CPU's `hypervisor` flag, the CPUID
//! hypervisor signature (live machine only), `/sys/hypervisor/type`, DMI, and the clocksources
//! only a hypervisor offers.

use std::path::Path;

use contend_reports::schema::{Clocksource, Virtualization};

use super::sysread;

/// Whether any `flags` line of `/proc/cpuinfo`'s text lists `hypervisor`; `None` when it has no
/// flags line (e.g. on aarch64).
pub fn hypervisor_flag(cpuinfo: &str) -> Option<bool> {
    let mut flags = cpuinfo
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.trim() == "flags")
        .peekable();
    flags.peek()?;
    Some(flags.any(|(_, v)| v.split_whitespace().any(|f| f == "hypervisor")))
}

/// The vendor a CPUID hypervisor signature (leaf 0x40000000) names.
fn cpuid_vendor(signature: &str) -> Option<&'static str> {
    let s = signature.trim_end_matches('\0');
    Some(match s {
        "KVMKVMKVM" => "KVM",
        "Microsoft Hv" => "Hyper-V",
        "VMwareVMware" => "VMware",
        "XenVMMXenVMM" => "Xen",
        "TCGTCGTCGTCG" => "QEMU",
        "VBoxVBoxVBox" => "VirtualBox",
        "bhyve bhyve " => "bhyve",
        " lrpepyh  vr" => "Parallels",
        "ACRNACRNACRN" => "ACRN",
        _ => return None,
    })
}

/// The vendor DMI's system vendor and product name point at.
fn dmi_vendor(vendor: &str, product: &str) -> Option<&'static str> {
    let (v, p) = (vendor.to_lowercase(), product.to_lowercase());
    Some(
        if p == "kvm" || v.starts_with("amazon ec2") || v == "google" {
            "KVM"
        } else if v.starts_with("qemu") {
            "QEMU"
        } else if v.starts_with("vmware") {
            "VMware"
        } else if v.starts_with("microsoft") && p.contains("virtual machine") {
            "Hyper-V"
        } else if v.starts_with("xen") {
            "Xen"
        } else if v.starts_with("innotek") || p.contains("virtualbox") {
            "VirtualBox"
        } else if v.starts_with("parallels") {
            "Parallels"
        } else {
            return None;
        },
    )
}

/// The vendor a paravirtual clocksource belongs to.
fn clocksource_vendor(name: &str) -> Option<&'static str> {
    Some(match name {
        "kvm-clock" => "KVM",
        "xen" => "Xen",
        "hyperv_clocksource_tsc_page" | "hyperv_clocksource_msr" => "Hyper-V",
        _ => return None,
    })
}

/// The hypervisor signature from CPUID leaf 0x40000000 when the CPU says it runs under one
/// (leaf 1, ECX bit 31); `None` on bare metal and on other architectures.
pub fn cpuid_signature() -> Option<String> {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::__cpuid;
        // SAFETY: CPUID exists on every x86_64 CPU and only reads identification registers.
        #[allow(unused_unsafe)]
        let (leaf1, leaf) = unsafe { (__cpuid(1), __cpuid(0x4000_0000)) };
        if leaf1.ecx & (1 << 31) == 0 {
            return None;
        }
        let bytes: Vec<u8> = [leaf.ebx, leaf.ecx, leaf.edx]
            .iter()
            .flat_map(|r| r.to_le_bytes())
            .collect();
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }
    #[cfg(not(target_arch = "x86_64"))]
    None
}

/// Reads the VM evidence under `sys` and `proc`; `cpuid` is [`cpuid_signature`] on the live
/// machine (`None` for a fixture tree), `clocksource` what was read under `sys`.
pub fn read(
    sys: &Path,
    proc: &Path,
    cpuid: Option<&str>,
    clocksource: &Clocksource,
) -> Virtualization {
    let flag = std::fs::read_to_string(proc.join("cpuinfo"))
        .ok()
        .and_then(|t| hypervisor_flag(&t));
    let dmi_vendor_text = sysread::text(&sys.join("class/dmi/id/sys_vendor"));
    let dmi_product = sysread::text(&sys.join("class/dmi/id/product_name"));
    let mut hints: Vec<(&str, String)> = Vec::new();
    if let Some(sig) = cpuid
        && let Some(v) = cpuid_vendor(sig)
    {
        hints.push((v, format!("cpuid: {}", sig.trim_end_matches('\0'))));
    }
    if let Some(t) = sysread::text(&sys.join("hypervisor/type"))
        && t == "xen"
    {
        hints.push(("Xen", "/sys/hypervisor/type: xen".into()));
    }
    if let Some(vendor) = &dmi_vendor_text {
        let product = dmi_product.as_deref().unwrap_or("");
        if let Some(v) = dmi_vendor(vendor, product) {
            hints.push((v, format!("dmi: {vendor} {product}").trim_end().into()));
        }
    }
    let paravirt = clocksource.current.iter().chain(&clocksource.available);
    if let Some((v, name)) = paravirt
        .filter_map(|c| Some((clocksource_vendor(c)?, c)))
        .next()
    {
        hints.push((v, format!("clocksource: {name}")));
    }
    // QEMU is the device model; when anything names KVM, KVM is the hypervisor.
    let vendor = match hints.first() {
        Some(("QEMU", _)) if hints.iter().any(|(v, _)| *v == "KVM") => Some("KVM".to_string()),
        first => first.map(|(v, _)| v.to_string()),
    };
    let virtual_machine = match (flag, &vendor) {
        (Some(true), _) | (_, Some(_)) => Some(true),
        (Some(false), None) => Some(false),
        (None, None) => None,
    };
    Virtualization {
        virtual_machine,
        vendor,
        hypervisor_flag: flag,
        dmi_vendor: dmi_vendor_text,
        dmi_product,
        evidence: hints.into_iter().map(|(_, why)| why).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::kernel::read_clocksource;
    use crate::machine::tests::fixture;

    #[test]
    fn a_kvm_guest_is_told_by_dmi_and_its_clocksource() {
        let sys = fixture("sysfs/intel-2s");
        let v = read(
            &sys,
            &fixture("procfs/intel-2s"),
            None,
            &read_clocksource(&sys),
        );
        assert_eq!(v.virtual_machine, Some(true));
        assert_eq!(v.vendor.as_deref(), Some("KVM"));
        assert_eq!(v.hypervisor_flag, Some(true));
        assert_eq!(v.dmi_vendor.as_deref(), Some("QEMU"));
        assert_eq!(
            v.evidence,
            [
                "dmi: QEMU Standard PC (Q35 + ICH9, 2009)",
                "clocksource: kvm-clock"
            ]
        );
    }

    #[test]
    fn cpuid_names_the_hypervisor_first() {
        let sys = fixture("sysfs/intel-2s");
        let v = read(
            &sys,
            &fixture("procfs/intel-2s"),
            Some("Microsoft Hv"),
            &Clocksource::default(),
        );
        assert_eq!(v.vendor.as_deref(), Some("Hyper-V"));
        assert_eq!(v.evidence[0], "cpuid: Microsoft Hv");
    }

    #[test]
    fn without_evidence_the_answer_is_unknown_and_without_the_flag_bare_metal() {
        let sys = fixture("sysfs/sparse");
        let sparse = read(
            &sys,
            &fixture("procfs/sparse"),
            None,
            &read_clocksource(&sys),
        );
        assert_eq!(sparse, Virtualization::default(), "no flags line: unknown");
        let bare = "processor : 0\nflags : fpu vme sse2 ht\n";
        assert_eq!(hypervisor_flag(bare), Some(false));
        assert_eq!(hypervisor_flag("flags\t\t: fpu hypervisor\n"), Some(true));
        assert_eq!(dmi_vendor("Dell Inc.", "PowerEdge R650"), None);
        assert_eq!(
            dmi_vendor("Microsoft Corporation", "Virtual Machine"),
            Some("Hyper-V")
        );
        assert_eq!(cpuid_vendor("KVMKVMKVM\0\0\0"), Some("KVM"));
    }

    #[test]
    fn this_vm_reports_without_panicking() {
        let cs = read_clocksource(Path::new("/sys"));
        let v = read(
            Path::new("/sys"),
            Path::new("/proc"),
            cpuid_signature().as_deref(),
            &cs,
        );
        if v.hypervisor_flag == Some(true) {
            assert_eq!(v.virtual_machine, Some(true));
        }
    }
}
