//! Program errors. The program returns `ProgramError::Custom(code)`; clients map the
//! code back with [`MarginError::from_code`] and show [`MarginError::message`].

macro_rules! errors {
    ($( $(#[$doc:meta])* $name:ident = $code:literal => $msg:literal, )*) => {
        /// Every error the margin program can return, with a stable numeric code.
        #[repr(u32)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum MarginError {
            $( $(#[$doc])* $name = $code, )*
        }

        impl MarginError {
            /// The numeric code carried in `ProgramError::Custom`.
            pub const fn code(self) -> u32 { self as u32 }

            /// Looks an error up by its code (for clients decoding transaction errors).
            pub const fn from_code(code: u32) -> Option<Self> {
                match code { $( $code => Some(Self::$name), )* _ => None }
            }

            /// A sentence that says what went wrong and what to do about it.
            pub const fn message(self) -> &'static str {
                match self { $( Self::$name => $msg, )* }
            }
        }
    };
}

errors! {
    InvalidInstruction = 6000 => "instruction data is empty, has an unknown tag, or does not decode",
    NotEnoughAccounts = 6001 => "fewer accounts were passed than the instruction requires",
    MissingSigner = 6002 => "an account that must sign the transaction did not sign",
    AccountNotWritable = 6003 => "an account that the instruction modifies was passed read-only",
    InvalidAccountOwner = 6004 => "an account is not owned by the program it must belong to",
    InvalidDiscriminator = 6005 => "an account's type tag does not match the expected account type",
    InvalidAccountSize = 6006 => "an account's data length does not match its type",
    InvalidPda = 6007 => "an account address does not match its program-derived address",
    AlreadyInitialized = 6008 => "the account to create already exists",
    Unauthorized = 6009 => "the signer is not the authority for this action",
    InvalidTokenProgram = 6010 => "the token program is neither SPL Token nor Token-2022, or not the pool's",
    InvalidMint = 6011 => "the mint does not match the pool's mint or is not a valid mint",
    InvalidVault = 6012 => "the vault account is not this pool's vault",
    InvalidTokenAccount = 6013 => "a token account has the wrong mint, owner, or is not a token account",
    WrongGroup = 6014 => "the account belongs to a different group",
    InvalidConfig = 6015 => "a pool configuration value is out of bounds (see docs/risk-parameters.md)",
    InvalidWeights = 6016 => "weights must satisfy 0 <= init asset <= maint asset <= 1 <= maint liab <= init liab",
    InvalidRateCurve = 6017 => "the rate curve must have increasing kink utilizations and non-decreasing rates",
    InvalidFees = 6018 => "protocol plus insurance fee must be below 100% of interest",
    PoolPaused = 6019 => "the pool is paused",
    PoolReduceOnly = 6020 => "the pool is reduce-only: no new deposits or borrows",
    GroupPaused = 6021 => "the group is paused by its admin",
    DepositCapExceeded = 6022 => "the deposit would take the pool over its deposit cap",
    BorrowCapExceeded = 6023 => "the borrow would take the pool over its borrow cap",
    ZeroAmount = 6024 => "the amount is zero or rounds to zero shares",
    InsufficientShares = 6025 => "the account holds fewer shares than the withdrawal needs",
    AccountNotEmpty = 6026 => "the margin account still holds deposits or debt",
    PositionsFull = 6027 => "the margin account has no free position slot",
    PoolNotInAccount = 6028 => "the margin account holds no position in this pool",
    IsolatedPoolMismatch = 6029 => "an isolated account only uses its own collateral and debt pools",
    SamePool = 6030 => "the same pool was given where two different pools are required",
    MathOverflow = 6031 => "a calculation overflowed its bounds",
    InvalidAccountKind = 6032 => "the margin account kind must be 0 (isolated) or 1 (cross)",
    InvalidStatus = 6033 => "the pool status must be 0 (active), 1 (reduce-only) or 2 (paused)",
    NoPendingAdmin = 6034 => "there is no pending admin transfer for this signer",
    DebtOutstanding = 6035 => "the position has debt in this pool; repay it first",
    InsufficientLiquidity = 6036 => "the vault does not hold enough idle tokens for this withdrawal",
    InvalidFeeDestination = 6037 => "the fee destination token account is not owned by the group's fee destination",
    DuplicateAccount = 6038 => "the same account was passed twice where distinct accounts are required",
    ClockUnavailable = 6039 => "the clock sysvar could not be read",
    InvalidOracleConfig = 6040 => "the oracle configuration is invalid",
    OracleWrongOwner = 6041 => "the oracle account is not owned by the Pyth program its format requires",
    OracleWrongAccount = 6042 => "the oracle account or feed id is not the one configured for the pool",
    OracleStale = 6043 => "the oracle price is older than the pool's maximum age",
    OracleConfidenceTooWide = 6044 => "the oracle confidence interval is wider than the pool allows",
    OracleNotTrading = 6045 => "the legacy Pyth price status is not Trading",
    OraclePartiallyVerified = 6046 => "the price update is only partially verified but the pool requires full verification",
    OracleNonPositivePrice = 6047 => "the oracle price (or its EMA) is zero or negative",
    OracleExponentOutOfRange = 6048 => "the oracle exponent is outside the supported range [-18, 0]",
    OracleInvalidData = 6049 => "the oracle account data is not a valid Pyth price account",
    OracleNotConfigured = 6050 => "the pool has no oracle configured, so it cannot back or carry debt",
    PriceOutOfRange = 6051 => "the normalized price or a position value is outside the supported range",
    HealthAccountMismatch = 6052 => "health accounts must be (pool, oracle) for each position, in slot order",
    HealthAccountCount = 6053 => "the number of health accounts does not match the account's positions",
    InsufficientHealth = 6054 => "the action would leave initial health below zero",
    RepayExceedsDebt = 6055 => "the repayment is larger than the debt",
    DepositOutstanding = 6056 => "the account has a deposit in this pool; withdraw it instead of borrowing",
    NotSameOwner = 6057 => "both margin accounts must belong to the signer",
    NotLiquidatable = 6058 => "the account's maintenance health is not below zero",
    SelfLiquidation = 6059 => "an owner cannot liquidate their own account",
    LiquidationCannotImprove = 6060 => "with these weights and bonus, repaying this debt would not raise maintenance health",
    NothingToLiquidate = 6061 => "the liquidation amount rounds to zero (position empty, at target, or max repay too small)",
    NotBankrupt = 6062 => "bad debt can only be resolved for an account with debt in the pool and no collateral worth more than its pool's dust threshold",
    LiquidationDidNotImprove = 6063 => "the liquidation would not have raised the account's maintenance health",
    NonCanonicalBump = 6064 => "the bump is not the canonical one (a higher bump also gives a valid program address)",
    OracleOutdated = 6065 => "the price was published before the newest one this pool has already used",
    InvalidConfigDelay = 6066 => "the config delay is outside the allowed range (one day to thirty days)",
    ConfigChangeNotReady = 6067 => "the queued config change cannot be applied before its delay has passed",
    OracleCannotBeRemoved = 6068 => "a pool's oracle, once configured, cannot be set back to none",
    StressTestFailed = 6069 => "the action passes Initial health but Maintenance health would fall below zero under the pools' stress moves",
    InvalidProtection = 6070 => "protection settings out of bounds: threshold 0 or 10,001..=30,000 bps, fraction 1..=10,000 bps, bonus <= 150 bps",
    NotProtected = 6071 => "the account's owner has not opted in to deleverage (set_protection)",
    OutsideProtectionBand = 6072 => "the account's health ratio is not inside its protection band (maintenance >= 0 and ratio below the threshold)",
    DeleverageDidNotImprove = 6073 => "the deleverage would not have raised the account's health ratio",
    FlashEndMissing = 6074 => "flash_begin needs a flash_end of the same margin account later in the transaction, at the index it names",
    FlashNotTopLevel = 6075 => "flash_begin and flash_end must be top-level instructions of the transaction, not CPIs",
    FlashActive = 6076 => "the margin account is inside a flash loan: nested flash_begin, liquidation, write-off, closing and moving collateral wait for flash_end",
    NotInFlash = 6077 => "flash_end without a flash_begin on this margin account",
    IsolationDebtCeilingExceeded = 6078 => "the borrow would take the debt owed against this isolated-only collateral past its pool's debt ceiling",
    CollateralPoolRequired = 6079 => "this isolated account's debt is tallied against its collateral pool: pass that pool (writable) where the instruction's docs say",
    IsolatedDebtOutstanding = 6080 => "the isolated-only flag cannot be lifted while isolated accounts owe debt tallied against the pool",
}

impl From<MarginError> for solana_program_error::ProgramError {
    fn from(error: MarginError) -> Self {
        solana_program_error::ProgramError::Custom(error.code())
    }
}

impl core::fmt::Display for MarginError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:?} ({}): {}", self, self.code(), self.message())
    }
}

impl core::error::Error for MarginError {}
