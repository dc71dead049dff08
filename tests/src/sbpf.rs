//! Checks on the compiled `.so` that no runtime test would show: which SBPF
//! version it is, and whether its code depends on contiguous stack frames.
//!
//! Under SBPF v0 the VM leaves a gap between call frames unless SIMD-0460
//! (`virtual_address_space_adjustments`) is active, and it is not on mainnet-beta.
//! Upstream LLVM passes a sixth and later argument by storing it above the caller's
//! frame (`*(r10 + 8) = ...`), which the callee reads back across the frame
//! boundary: with gaps, that is an access violation. SBPF v3 has no gaps (and is
//! live on mainnet-beta), so the same code is sound there. The rule checked here:
//! a v0 program never touches `r10 + positive offset`.

/// SBPF version from the ELF header's `e_flags` (0 = v0, 1..=4 = v1..v4).
pub fn sbpf_version(elf: &[u8]) -> Result<u32, String> {
    if elf.len() < 64 || &elf[..4] != b"\x7fELF" {
        return Err("not an ELF file".into());
    }
    Ok(u32::from_le_bytes(elf[48..52].try_into().unwrap()))
}

/// The executable segments' bytes (program headers of type PT_LOAD with the X flag).
fn executable_segments(elf: &[u8]) -> Result<Vec<&[u8]>, String> {
    let u64_at = |at: usize| u64::from_le_bytes(elf[at..at + 8].try_into().unwrap()) as usize;
    let u16_at = |at: usize| u16::from_le_bytes(elf[at..at + 2].try_into().unwrap()) as usize;
    let u32_at = |at: usize| u32::from_le_bytes(elf[at..at + 4].try_into().unwrap());
    let (phoff, phentsize, phnum) = (u64_at(32), u16_at(54), u16_at(56));
    let mut segments = Vec::new();
    for index in 0..phnum {
        let header = phoff + index * phentsize;
        if header + 56 > elf.len() {
            return Err("program header out of bounds".into());
        }
        const PT_LOAD: u32 = 1;
        const PF_X: u32 = 1;
        if u32_at(header) == PT_LOAD && u32_at(header + 4) & PF_X != 0 {
            let (offset, size) = (u64_at(header + 8), u64_at(header + 32));
            segments.push(elf.get(offset..offset + size).ok_or("segment out of bounds")?);
        }
    }
    Ok(segments)
}

/// Instruction indices (within the executable segments, 8-byte slots) of every
/// load or store through `r10` at a positive offset: memory above the current frame.
pub fn accesses_above_frame(elf: &[u8]) -> Result<Vec<usize>, String> {
    const FRAME_POINTER: u8 = 10;
    let mut found = Vec::new();
    let mut slot = 0;
    for segment in executable_segments(elf)? {
        for instruction in segment.chunks_exact(8) {
            let opcode = instruction[0];
            let (dst, src) = (instruction[1] & 0x0f, instruction[1] >> 4);
            let offset = i16::from_le_bytes([instruction[2], instruction[3]]);
            let base = match opcode & 0x07 {
                0x01 if opcode & 0xe0 == 0x60 => src,        // ldx (mem mode)
                0x02 | 0x03 if opcode & 0xe0 == 0x60 => dst, // st, stx (mem mode)
                _ => {
                    slot += 1;
                    continue;
                }
            };
            if base == FRAME_POINTER && offset > 0 {
                found.push(slot);
            }
            slot += 1;
        }
    }
    Ok(found)
}

/// Fails when the program would fault on a cluster without SIMD-0460: a v0 program
/// that reaches above its frame.
pub fn check_frame_gap_safety(elf: &[u8]) -> Result<(), String> {
    let version = sbpf_version(elf)?;
    if version != 0 {
        // v1 and later have no frame gaps: stack arguments are sound.
        return Ok(());
    }
    let above = accesses_above_frame(elf)?;
    if above.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "SBPF v0 program accesses memory above its stack frame at {} instruction(s) (first at slot {}): \
             it faults without SIMD-0460. Build as v3 (scripts/build-sbf.sh) or pass at most five arguments.",
            above.len(),
            above[0]
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF with one executable PT_LOAD segment holding `code`.
    fn elf_with(version: u32, code: &[[u8; 8]]) -> Vec<u8> {
        let mut elf = vec![0u8; 64 + 56];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[48..52].copy_from_slice(&version.to_le_bytes());
        elf[32..40].copy_from_slice(&64u64.to_le_bytes()); // phoff
        elf[54..56].copy_from_slice(&56u16.to_le_bytes()); // phentsize
        elf[56..58].copy_from_slice(&1u16.to_le_bytes()); // phnum
        elf[64..68].copy_from_slice(&1u32.to_le_bytes()); // PT_LOAD
        elf[68..72].copy_from_slice(&5u32.to_le_bytes()); // R+X
        elf[72..80].copy_from_slice(&120u64.to_le_bytes()); // offset
        elf[96..104].copy_from_slice(&(code.len() as u64 * 8).to_le_bytes()); // filesz
        for instruction in code {
            elf.extend_from_slice(instruction);
        }
        elf
    }

    const STORE_ABOVE_FRAME: [u8; 8] = [0x7b, 0x6a, 0x08, 0x00, 0, 0, 0, 0]; // *(u64 *)(r10 + 8) = r6
    const STORE_IN_FRAME: [u8; 8] = [0x7b, 0x6a, 0xf8, 0xff, 0, 0, 0, 0]; // *(u64 *)(r10 - 8) = r6
    const LOAD_ABOVE_FRAME: [u8; 8] = [0x79, 0xa1, 0x10, 0x00, 0, 0, 0, 0]; // r1 = *(u64 *)(r10 + 16)
    const LOAD_OTHER_BASE: [u8; 8] = [0x79, 0x21, 0x10, 0x00, 0, 0, 0, 0]; // r1 = *(u64 *)(r2 + 16)
    const EXIT: [u8; 8] = [0x95, 0, 0, 0, 0, 0, 0, 0];

    #[test]
    fn finds_stores_and_loads_above_the_frame_only() {
        let elf = elf_with(0, &[STORE_IN_FRAME, STORE_ABOVE_FRAME, LOAD_OTHER_BASE, LOAD_ABOVE_FRAME, EXIT]);
        assert_eq!(accesses_above_frame(&elf).unwrap(), vec![1, 3]);
        let error = check_frame_gap_safety(&elf).unwrap_err();
        assert!(error.contains("at 2 instruction(s) (first at slot 1)"), "{error}");
    }

    #[test]
    fn v0_without_stack_arguments_and_v3_with_them_pass() {
        assert_eq!(check_frame_gap_safety(&elf_with(0, &[STORE_IN_FRAME, LOAD_OTHER_BASE, EXIT])), Ok(()));
        assert_eq!(check_frame_gap_safety(&elf_with(3, &[STORE_ABOVE_FRAME, EXIT])), Ok(()));
    }

    /// The built program: SBPF v3 (what docs/architecture.md states), a version the
    /// pinned mainnet-beta snapshot has enabled, and safe without frame gaps.
    #[test]
    fn deployed_program_is_v3_and_runs_without_simd_0460() {
        let path = margin_sim::svm::program_dir().join("margin.so");
        let elf = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}; run scripts/build-sbf.sh", path.display()));
        assert_eq!(sbpf_version(&elf), Ok(3));
        let v3 = "5cC3foj77CWun58pC51ebHFUWavHWKarWyR5UUik7dnC".parse().unwrap();
        assert!(margin_sim::features::mainnet_beta_active().contains(&v3));
        assert_eq!(check_frame_gap_safety(&elf), Ok(()));
    }
}
