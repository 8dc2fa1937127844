//! Database-level sheets: Databases, Database Users, Database Roles, Role Matrix, Permission
//! Grants, Orphaned Users.

use std::collections::BTreeSet;

use audit_core::checks::permission_key;
use audit_core::snapshot::PermissionInfo;
use audit_core::{Status, entity_key};

use super::{Align::*, Ctx, Row, Sheet, SheetSpec, Tone, Value, col, date, principal_kind};

/// Every database.
pub static DATABASES: SheetSpec = SheetSpec {
    id: Sheet::Databases,
    name: "Databases",
    columns: &[
        col("Database", 26.0, Left),
        col("Owner", 22.0, Left),
        col("State", 12.0, Center),
        col("Recovery", 12.0, Center),
        col("Trustworthy", 12.0, Center),
        col("TDE", 8.0, Center),
        col("Read Only", 10.0, Center),
        col("Created", 12.0, Center),
    ],
    key_columns: 1,
    rows: databases,
};

fn databases(ctx: &Ctx<'_>, out: &mut Vec<Row>) {
    let Ok(dbs) = &ctx.snapshot.databases else {
        return;
    };
    for d in dbs {
        let trustworthy = if d.is_system() {
            Value::flag(Some(d.trustworthy))
        } else {
            Value::yes_no(d.trustworthy, false)
        };
        out.push(Row::new(
            entity_key("database", &[&d.name]),
            vec![
                Value::text(&d.name),
                Value::opt(d.owner.as_deref()),
                Value::judged(
                    &d.state,
                    if d.state.eq_ignore_ascii_case("ONLINE") {
                        Tone::Good
                    } else {
                        Tone::Warn
                    },
                ),
                Value::text(&d.recovery_model),
                trustworthy,
                Value::flag(Some(d.encrypted)),
                Value::flag(Some(d.read_only)),
                Value::text(date(&d.created)),
            ],
        ));
    }
}

/// The keys of users found orphaned: those a finding proposes to drop as such (they live on
/// the Orphaned Users sheet).
fn orphans(ctx: &Ctx<'_>) -> BTreeSet<String> {
    ctx.target
        .findings
        .iter()
        .filter(|f| {
            f.status == Status::Fail
                && matches!(f.fix, Some(audit_core::Fix::DropOrphanedUser { .. }))
        })
        .map(|f| f.entity_key.clone())
        .collect()
}

/// Users (not roles) of every database that could be read.
pub static DATABASE_USERS: SheetSpec = SheetSpec {
    id: Sheet::DatabaseUsers,
    name: "Database Users",
    columns: &[
        col("Database", 22.0, Left),
        col("User Name", 26.0, Left),
        col("Type", 16.0, Left),
        col("Login Status", 18.0, Center),
        col("Mapped Login", 24.0, Left),
        col("Authentication", 14.0, Center),
        col("Can Connect", 12.0, Center),
    ],
    key_columns: 2,
    rows: database_users,
};

fn database_users(ctx: &Ctx<'_>, out: &mut Vec<Row>) {
    let Ok(details) = &ctx.snapshot.database_details else {
        return;
    };
    let orphans = orphans(ctx);
    for d in details {
        for u in d
            .principals
            .iter()
            // Roles are on the Database Roles sheet; application roles are listed here, as
            // principals that log in (X60 reviews them).
            .filter(|u| u.kind != "R")
        {
            let key = entity_key("db_user", &[&d.database, &u.name]);
            let orphaned = orphans.contains(&key);
            let status = if orphaned {
                Value::judged("\u{26a0} Orphaned", Tone::Warn)
            } else if u.login.is_some() {
                Value::judged("\u{2713} Mapped", Tone::Good)
            } else {
                Value::text("No login")
            };
            let cells = vec![
                Value::text(&d.database),
                Value::text(&u.name),
                Value::text(principal_kind(&u.kind)),
                status,
                Value::opt(u.login.as_deref()),
                Value::opt(u.authentication_type.as_deref()),
                Value::flag(Some(u.can_connect)),
            ];
            // An orphan's finding goes to the Orphaned Users sheet (R13's placement lists it
            // first); this row then shows the user without a status.
            out.push(Row::new(key, cells));
        }
    }
}

/// Database role memberships.
pub static DATABASE_ROLES: SheetSpec = SheetSpec {
    id: Sheet::DatabaseRoles,
    name: "Database Roles",
    columns: &[
        col("Database", 22.0, Left),
        col("Role", 22.0, Left),
        col("Member", 26.0, Left),
        col("Member Type", 16.0, Left),
    ],
    key_columns: 3,
    rows: database_roles,
};

fn database_roles(ctx: &Ctx<'_>, out: &mut Vec<Row>) {
    let Ok(details) = &ctx.snapshot.database_details else {
        return;
    };
    for d in details {
        for m in &d.role_members {
            out.push(Row::new(
                entity_key("db_role_member", &[&d.database, &m.role, &m.member]),
                vec![
                    Value::text(&d.database),
                    Value::text(&m.role),
                    Value::text(&m.member),
                    Value::text(principal_kind(&m.member_kind)),
                ],
            ));
        }
    }
}

/// The fixed database roles, as Role Matrix columns.
const FIXED_ROLES: [&str; 9] = audit_core::checks::FIXED_DATABASE_ROLES;

/// Who holds which fixed role, one row per database principal (information only).
pub static ROLE_MATRIX: SheetSpec = SheetSpec {
    id: Sheet::RoleMatrix,
    name: "Role Matrix",
    columns: &[
        col("Database", 22.0, Left),
        col("Principal", 26.0, Left),
        col("Principal Type", 16.0, Left),
        col("db_owner", 11.0, Center),
        col("db_securityadmin", 11.0, Center),
        col("db_accessadmin", 11.0, Center),
        col("db_backupoperator", 11.0, Center),
        col("db_ddladmin", 11.0, Center),
        col("db_datareader", 11.0, Center),
        col("db_datawriter", 11.0, Center),
        col("db_denydatareader", 11.0, Center),
        col("db_denydatawriter", 11.0, Center),
        col("Other Roles", 30.0, Wrap),
    ],
    key_columns: 2,
    rows: role_matrix,
};

fn role_matrix(ctx: &Ctx<'_>, out: &mut Vec<Row>) {
    let Ok(details) = &ctx.snapshot.database_details else {
        return;
    };
    for d in details {
        let members: BTreeSet<&str> = d.role_members.iter().map(|m| m.member.as_str()).collect();
        for principal in members {
            let kind = d
                .principals
                .iter()
                .find(|p| p.name == principal)
                .map_or("Other", |p| principal_kind(&p.kind));
            let roles: Vec<&str> = d
                .role_members
                .iter()
                .filter(|m| m.member == principal)
                .map(|m| m.role.as_str())
                .collect();
            let mut cells = vec![
                Value::text(&d.database),
                Value::text(principal),
                Value::text(kind),
            ];
            for fixed in FIXED_ROLES {
                let member = roles.iter().any(|r| r.eq_ignore_ascii_case(fixed));
                cells.push(
                    match (member, fixed, principal.eq_ignore_ascii_case("dbo")) {
                        (false, ..) => Value::Empty,
                        (true, "db_owner", false) => Value::judged("\u{2713}", Tone::Warn),
                        (true, ..) => Value::text("\u{2713}"),
                    },
                );
            }
            let mut other: Vec<&str> = roles
                .iter()
                .copied()
                .filter(|r| !FIXED_ROLES.iter().any(|f| f.eq_ignore_ascii_case(r)))
                .collect();
            other.sort_unstable();
            cells.push(Value::text(other.join(", ")));
            out.push(Row::new(
                entity_key("db_principal", &[&d.database, principal]),
                cells,
            ));
        }
    }
}

/// Explicit permissions, server and database.
pub static PERMISSION_GRANTS: SheetSpec = SheetSpec {
    id: Sheet::PermissionGrants,
    name: "Permission Grants",
    columns: &[
        col("Scope", 10.0, Center),
        col("Database", 20.0, Left),
        col("Grantee", 26.0, Left),
        col("Permission", 24.0, Left),
        col("Class", 18.0, Left),
        col("Securable", 30.0, Left),
        col("State", 22.0, Center),
        col("Grantee Type", 16.0, Left),
    ],
    key_columns: 6,
    rows: permission_grants,
};

fn permission_grants(ctx: &Ctx<'_>, out: &mut Vec<Row>) {
    let grant = |database: Option<&str>, p: &PermissionInfo| {
        let state = match p.state.as_str() {
            "DENY" => Value::judged("DENY", Tone::Good),
            "GRANT_WITH_GRANT_OPTION" => Value::judged("GRANT WITH GRANT OPTION", Tone::Warn),
            other => Value::text(other),
        };
        Row::new(
            permission_key(database, p),
            vec![
                Value::text(if database.is_some() {
                    "DATABASE"
                } else {
                    "SERVER"
                }),
                Value::text(database.unwrap_or("(Server)")),
                Value::text(&p.grantee),
                Value::text(&p.permission),
                Value::text(&p.class),
                Value::text(&p.securable),
                state,
                Value::text(principal_kind(&p.grantee_kind)),
            ],
        )
    };
    if let Ok(perms) = &ctx.snapshot.server_permissions {
        out.extend(perms.iter().map(|p| grant(None, p)));
    }
    if let Ok(details) = &ctx.snapshot.database_details {
        for d in details {
            out.extend(d.permissions.iter().map(|p| grant(Some(&d.database), p)));
        }
    }
}

/// Users R13 found orphaned: no login has their SID.
pub static ORPHANED_USERS: SheetSpec = SheetSpec {
    id: Sheet::OrphanedUsers,
    name: "Orphaned Users",
    columns: &[
        col("Database", 22.0, Left),
        col("User Name", 26.0, Left),
        col("Type", 16.0, Left),
        col("SID", 40.0, Left),
    ],
    key_columns: 2,
    rows: orphaned_users,
};

fn orphaned_users(ctx: &Ctx<'_>, out: &mut Vec<Row>) {
    let orphans = orphans(ctx);
    let Ok(details) = &ctx.snapshot.database_details else {
        return;
    };
    for d in details {
        for u in &d.principals {
            let key = entity_key("db_user", &[&d.database, &u.name]);
            if orphans.contains(&key) {
                out.push(Row::new(
                    key,
                    vec![
                        Value::text(&d.database),
                        Value::text(&u.name),
                        Value::text(principal_kind(&u.kind)),
                        Value::opt(u.sid.as_deref()),
                    ],
                ));
            }
        }
    }
}
