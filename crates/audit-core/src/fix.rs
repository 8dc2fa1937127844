//! What a finding's fix is, as data: the check that found the problem says what would fix it
//! and on what, so remediation never has to recognise a finding by its wording.
//!
//! The remediation crate turns a [`Fix`] into a script (capturing the state before it for
//! the rollback) and decides how risky it is; a check only names it. A finding carries a fix
//! only when its verdict was drawn from facts that were read in full for that entity.

use serde::{Deserialize, Serialize};

/// The change that would resolve one finding.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fix {
    /// `sp_configure` an option to the required value.
    SetConfiguration {
        /// The option as `sys.configurations` names it.
        option: String,
        /// The value required.
        required: i64,
    },
    /// Rename and disable the built-in `sa` login (principal_id 1), whatever its name.
    SecureSaAccount,
    /// Give a SQL login a new generated password (it is empty or equals its name).
    NewPassword {
        /// The login.
        login: String,
    },
    /// Turn CHECK_POLICY on for a SQL login.
    CheckPolicy {
        /// The login.
        login: String,
    },
    /// `REVOKE CONNECT FROM guest` in a user database.
    RevokeGuestConnect {
        /// The database.
        database: String,
    },
    /// Drop a database user whose SID matches no login.
    DropOrphanedUser {
        /// The database.
        database: String,
        /// The user.
        user: String,
    },
    /// `ALTER DATABASE … SET TRUSTWORTHY OFF`.
    TrustworthyOff {
        /// The database.
        database: String,
    },
    /// `ALTER DATABASE … SET <option> OFF` for a database option that should be off.
    DatabaseOptionOff {
        /// The database.
        database: String,
        /// The option.
        option: DatabaseOption,
    },
    /// `REVOKE` an explicit database permission (the rollback grants it again, with the grant
    /// option when it had it).
    RevokeDatabasePermission {
        /// The database.
        database: String,
        /// The grantee (a user or role of that database).
        grantee: String,
        /// The permission (`SELECT`, `EXECUTE` …).
        permission: String,
        /// `OBJECT_OR_COLUMN` (with `securable` = `schema.object`) or `DATABASE`.
        class: String,
        /// The object (`schema.object`), empty for the database.
        securable: String,
    },
    /// Remove a member from a database role (the rollback adds it back).
    DropDatabaseRoleMember {
        /// The database.
        database: String,
        /// The role.
        role: String,
        /// The member.
        member: String,
    },
    /// Remove a member from a fixed server role.
    DropServerRoleMember {
        /// The role.
        role: String,
        /// The member.
        member: String,
    },
    /// Disable a login.
    DisableLogin {
        /// The login.
        login: String,
    },
    /// Remove a linked server's risky login mappings (those the check flags).
    DropLinkedServerLogins {
        /// The linked server.
        server: String,
    },
    /// Audit both failed and successful logins (registry `AuditLevel` = 3).
    AuditBothLogins,
}

/// A database option that a fix turns off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseOption {
    /// Cross-database ownership chaining (`DB_CHAINING`, `is_db_chaining_on`).
    DbChaining,
    /// `AUTO_CLOSE` (`is_auto_close_on`).
    AutoClose,
}

impl DatabaseOption {
    /// The option as ALTER DATABASE … SET names it.
    pub fn sql_name(self) -> &'static str {
        match self {
            DatabaseOption::DbChaining => "DB_CHAINING",
            DatabaseOption::AutoClose => "AUTO_CLOSE",
        }
    }
}
