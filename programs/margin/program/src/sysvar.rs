//! Clock and rent through their dedicated syscalls. (pinocchio 0.11 reads them with
//! the generic `sol_get_sysvar` only under `target_os = "solana"`, which the upstream
//! `bpfel-unknown-none` build is not, so the program reads them itself.)

use margin_interface::error::MarginError;
use pinocchio::error::ProgramError;

/// Storage overhead the runtime adds to every account when charging rent.
const ACCOUNT_STORAGE_OVERHEAD: u64 = 128;

/// Current unix timestamp from the clock sysvar.
pub fn unix_timestamp() -> Result<i64, ProgramError> {
    // Clock: slot, epoch_start_timestamp, epoch, leader_schedule_epoch, unix_timestamp.
    let mut clock = [0u64; 5];
    if get_clock(&mut clock) != 0 {
        return Err(MarginError::ClockUnavailable.into());
    }
    Ok(clock[4] as i64)
}

/// Lamports that make an account of `space` bytes rent-exempt.
pub fn minimum_balance(space: usize) -> Result<u64, ProgramError> {
    // Rent: lamports_per_byte_year (u64), exemption_threshold (f64), burn_percent (u8).
    let mut rent = [0u64; 3];
    if get_rent(&mut rent) != 0 {
        return Err(ProgramError::UnsupportedSysvar);
    }
    let threshold = f64::from_bits(rent[1]);
    let bytes = ACCOUNT_STORAGE_OVERHEAD.checked_add(space as u64).ok_or(MarginError::MathOverflow)?;
    let per_year = bytes.checked_mul(rent[0]).ok_or(MarginError::MathOverflow)?;
    // A float-to-integer `as` saturates (no UB); rent-exempt balances fit u64.
    #[allow(clippy::cast_possible_truncation)]
    let lamports = (per_year as f64 * threshold) as u64;
    Ok(lamports)
}

/// Instruction stack height: 1 for a top-level instruction of the transaction,
/// more under CPI.
pub fn stack_height() -> u64 {
    get_stack_height()
}

/// What [`stack_height`] returns for a top-level instruction.
pub const TOP_LEVEL: u64 = 1;

#[cfg(any(target_os = "solana", target_arch = "bpf"))]
fn get_stack_height() -> u64 {
    // SAFETY: the syscall takes no arguments.
    unsafe { pinocchio::syscalls::sol_get_stack_height() }
}

#[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
fn get_stack_height() -> u64 {
    0
}

// The per-sysvar syscalls are deprecated in favour of `sol_get_sysvar`, but they are
// what every runtime version supports and they return the whole struct in one call.
#[cfg(any(target_os = "solana", target_arch = "bpf"))]
#[allow(deprecated)]
fn get_clock(out: &mut [u64; 5]) -> u64 {
    // SAFETY: the syscall writes the 40-byte Clock into `out`, which is 40 bytes.
    unsafe { pinocchio::syscalls::sol_get_clock_sysvar(out.as_mut_ptr() as *mut u8) }
}

#[cfg(any(target_os = "solana", target_arch = "bpf"))]
#[allow(deprecated)]
fn get_rent(out: &mut [u64; 3]) -> u64 {
    // SAFETY: the syscall writes the 17-byte Rent (padded to 24) into `out` (24 bytes).
    unsafe { pinocchio::syscalls::sol_get_rent_sysvar(out.as_mut_ptr() as *mut u8) }
}

// Host builds of this crate exist only so the workspace compiles; the program only
// ever runs as SBF, where the syscalls above exist.
#[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
fn get_clock(_: &mut [u64; 5]) -> u64 {
    1
}

#[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
fn get_rent(_: &mut [u64; 3]) -> u64 {
    1
}
