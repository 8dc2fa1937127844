//! Who can act as whom: the graph behind "paths to sysadmin" (check X56, the workbook's
//! "Paths to Sysadmin" sheet, the structured path in `findings.json`).
//!
//! Nodes are server principals (logins, server roles), database principals (users, roles, the
//! `dbo` of each database) and the pseudo-node `CONTROL SERVER`. An edge `a → b` says that `a`
//! can act with `b`'s rights (or become a member of `b`, or hold `b`). The graph is built from
//! facts the audit already reads; it is pure (no I/O) and every traversal is in name order, so
//! the same snapshot always gives the same paths.
//!
//! Edges, each with the Microsoft page that makes it one:
//!
//! - **member of** — server and database role membership, nested roles followed; every login
//!   is in the public server role and every user in its database's public role ("Server-level
//!   roles", "Database-level roles"), which the catalog does not list.
//! - **IMPERSONATE / CONTROL ON LOGIN::x, ON USER::x** — `EXECUTE AS LOGIN / USER`
//!   (learn.microsoft.com: "EXECUTE AS (Transact-SQL)"; CONTROL implies IMPERSONATE).
//! - **IMPERSONATE ANY LOGIN** — any login, sysadmins included → `sysadmin`.
//! - **holds CONTROL SERVER** — the target itself.
//! - **ALTER / CONTROL ON SERVER ROLE::r, ON ROLE::r** — can add itself to the role
//!   ("ALTER SERVER ROLE", "ALTER ROLE": ALTER on the role is enough to add members).
//! - **securityadmin can grant itself CONTROL SERVER** — "Server-level roles": securityadmin
//!   "can GRANT, DENY, and REVOKE server-level permissions … should be treated as equivalent to
//!   the sysadmin role".
//! - **login → its database user** (by SID: `DatabasePrincipal.login`).
//! - **db_owner / CONTROL ON DATABASE → dbo** — CONTROL on the database implies IMPERSONATE on
//!   every user, dbo included.
//! - **dbo of a TRUSTWORTHY database → the database's owner login** — "TRUSTWORTHY database
//!   property" and "Extending database impersonation by using EXECUTE AS": in a TRUSTWORTHY
//!   database, `EXECUTE AS USER = 'dbo'` carries the owner's server rights (the owner is the
//!   authenticator). msdb is TRUSTWORTHY and owned by sa on every install.
//! - **no edge for ALTERing a module that runs AS x.** "EXECUTE AS clause": "To specify the
//!   EXECUTE AS clause when you create or modify a module, you must have IMPERSONATE
//!   permissions on the specified principal … You can always impersonate yourself." ALTER
//!   replaces the whole definition, clause included, so whoever can rewrite such a module
//!   without IMPERSONATE on x makes it run as itself, not as x; and whoever holds IMPERSONATE
//!   on x already has the direct edge. Modules are read (`DatabaseDetail::modules`) and
//!   reviewed by X80, not walked.
//! - **can change an Agent job's steps → the job's owner** — UPDATE / INSERT / ALTER / CONTROL
//!   on `msdb.dbo.sysjobsteps` or `msdb.dbo.sysjobs`: a T-SQL step runs as its job's owner
//!   ("SQL Server Agent Fixed Database Roles": the Agent roles themselves do not let a member
//!   change other people's jobs, so they are no edge).
//! - **linked server back to this server → the remote login it logs in as** — a
//!   `sp_addlinkedsrvlogin` mapping (of one login, or of every login when `local` is none) to a
//!   named remote login, on a linked server whose data source is this instance.
//!
//! A DENY breaks an edge: DENY IMPERSONATE / CONTROL on the same target (or DENY IMPERSONATE
//! ANY LOGIN) for the same grantee, DENY CONTROL SERVER on its holder, DENY CONTROL on the
//! database. A DENY given to a role the grantee is in is not followed (a known
//! over-approximation: the path is reported, a person judges it).
//!
//! Not modelled (documented, not guessed): db_securityadmin (the docs say its members "can
//! potentially elevate their privileges" but give no mechanism that reaches db_owner: adding
//! members to fixed roles needs db_owner), ALTER ANY LOGIN (changes passwords of logins, but not
//! of sysadmins without CONTROL SERVER), linked servers to other servers (their remote rights
//! are out of this audit's sight), users other than dbo in a TRUSTWORTHY database (their
//! server rights pass only when the owner holds AUTHENTICATE SERVER, which is not read).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::snapshot::{DatabaseDetail, DatabaseInfo, LinkedServerInfo, PermissionInfo, Snapshot};

/// The fixed server roles (learn.microsoft.com: "Server-level roles"), for telling a role from
/// a login in a permission's securable.
const FIXED_SERVER_ROLES: [&str; 9] = [
    "sysadmin",
    "serveradmin",
    "securityadmin",
    "processadmin",
    "setupadmin",
    "bulkadmin",
    "diskadmin",
    "dbcreator",
    "public",
];

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKind {
    /// A login (SQL, Windows user, Windows group: a group login is treated like any login).
    Login,
    /// A server role.
    ServerRole,
    /// The pseudo-node for CONTROL SERVER.
    ControlServer,
    /// A database user (dbo included).
    DatabaseUser,
    /// A database role.
    DatabaseRole,
}

/// A node: a principal, or `CONTROL SERVER`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Node {
    /// Kind.
    pub kind: NodeKind,
    /// The database of a database principal.
    pub database: Option<String>,
    /// The principal's name as the server spells it.
    pub name: String,
}

impl Node {
    /// The login `name`.
    pub fn login(name: &str) -> Node {
        Node {
            kind: NodeKind::Login,
            database: None,
            name: name.to_owned(),
        }
    }
    fn server_role(name: &str) -> Node {
        Node {
            kind: NodeKind::ServerRole,
            database: None,
            name: name.to_owned(),
        }
    }
    fn control_server() -> Node {
        Node {
            kind: NodeKind::ControlServer,
            database: None,
            name: "CONTROL SERVER".to_owned(),
        }
    }
    fn user(db: &str, name: &str) -> Node {
        Node {
            kind: NodeKind::DatabaseUser,
            database: Some(db.to_owned()),
            name: name.to_owned(),
        }
    }
    fn db_role(db: &str, name: &str) -> Node {
        Node {
            kind: NodeKind::DatabaseRole,
            database: Some(db.to_owned()),
            name: name.to_owned(),
        }
    }

    /// The case-insensitive identity of the node (names compare as `same_name` does).
    fn key(&self) -> String {
        let db = self.database.as_deref().unwrap_or("").to_lowercase();
        format!("{:?}|{db}|{}", self.kind, self.name.to_lowercase())
    }

    /// How the node reads in a chain: `login A`, `sysadmin`, `server role R`, `CONTROL SERVER`,
    /// `user U in D`, `dbo of D`, `role R in D`.
    pub fn label(&self) -> String {
        let db = self.database.as_deref().unwrap_or("");
        match self.kind {
            NodeKind::Login => format!("login {}", self.name),
            NodeKind::ServerRole if self.name.eq_ignore_ascii_case("sysadmin") => {
                "sysadmin".to_owned()
            }
            NodeKind::ServerRole => format!("server role {}", self.name),
            NodeKind::ControlServer => "CONTROL SERVER".to_owned(),
            NodeKind::DatabaseUser if self.name.eq_ignore_ascii_case("dbo") => {
                format!("dbo of {db}")
            }
            NodeKind::DatabaseUser => format!("user {} in {db}", self.name),
            NodeKind::DatabaseRole => format!("role {} in {db}", self.name),
        }
    }
}

/// What an edge is; its label in a chain is [`EdgeKind::label`] plus the edge's detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EdgeKind {
    /// Role membership (server or database), or the dbo user being the owner's.
    MemberOf,
    /// IMPERSONATE on a login or user.
    Impersonate,
    /// CONTROL on a login or user.
    Control,
    /// IMPERSONATE ANY LOGIN.
    ImpersonateAnyLogin,
    /// Holds CONTROL SERVER.
    HoldsControlServer,
    /// ALTER / CONTROL on a role: can add itself.
    CanAddItselfTo,
    /// securityadmin: can grant itself CONTROL SERVER.
    CanGrantItself,
    /// A login enters a database as its user.
    MapsToUser,
    /// db_owner or CONTROL on the database: can impersonate dbo.
    ActsAsDbo,
    /// dbo of a TRUSTWORTHY database: the owner login's server rights.
    TrustworthyOwner,
    /// Can change the steps of an Agent job: runs as the job's owner.
    ChangesJob,
    /// A loopback linked server maps it to another login.
    LinkedServer,
}

impl EdgeKind {
    /// The words of the edge in a chain.
    pub fn label(self) -> &'static str {
        match self {
            EdgeKind::MemberOf => "member of",
            EdgeKind::Impersonate => "IMPERSONATE",
            EdgeKind::Control => "CONTROL",
            EdgeKind::ImpersonateAnyLogin => "IMPERSONATE ANY LOGIN",
            EdgeKind::HoldsControlServer => "holds",
            EdgeKind::CanAddItselfTo => "can add itself to",
            EdgeKind::CanGrantItself => "can grant itself",
            EdgeKind::MapsToUser => "maps to",
            EdgeKind::ActsAsDbo => "can impersonate",
            EdgeKind::TrustworthyOwner => "TRUSTWORTHY database: runs with the server rights of",
            EdgeKind::ChangesJob => "can change",
            EdgeKind::LinkedServer => "linked server",
        }
    }
}

/// One edge of a path, written out.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Step {
    /// The principal acting.
    pub from: Node,
    /// What it does.
    pub kind: EdgeKind,
    /// The edge's words, with its detail (`can change Agent job X (UPDATE ON …), which runs as
    /// its owner`).
    pub edge: String,
    /// Whose rights it gets.
    pub to: Node,
}

/// A principal that is not privileged but can reach sysadmin or CONTROL SERVER, with the
/// shortest way there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationPath {
    /// The principal: a login, or a database user with no login (contained, without login,
    /// guest).
    pub principal: Node,
    /// The steps, first to last; the last ends at `sysadmin` or `CONTROL SERVER`.
    pub steps: Vec<Step>,
}

impl EscalationPath {
    /// The readable chain: `login A —IMPERSONATE→ login B —member of→ sysadmin`.
    pub fn chain(&self) -> String {
        let mut out = self.principal.label();
        for step in &self.steps {
            out.push_str(&format!(
                " \u{2014}{}\u{2192} {}",
                step.edge,
                step.to.label()
            ));
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    to: String,
    kind: EdgeKind,
    edge: String,
}

/// The graph of who can act as whom on one instance.
#[derive(Debug, Default)]
pub struct PrivilegeGraph {
    nodes: BTreeMap<String, Node>,
    edges: BTreeMap<String, BTreeSet<Edge>>,
}

/// Every principal of `s` that is not already privileged and can reach sysadmin or CONTROL
/// SERVER, with its shortest path; logins first, then database users, each by name. Reads
/// only what was read: a fact that is unavailable adds no edge (the check that uses this is
/// UNKNOWN then, by its `reads`).
pub fn paths_to_sysadmin(s: &Snapshot) -> Vec<EscalationPath> {
    PrivilegeGraph::from_snapshot(s).escalations(s)
}

/// `##MS_…##` principals: created and used by SQL Server itself.
fn is_internal(name: &str) -> bool {
    name.len() > 4 && name.starts_with("##") && name.ends_with("##")
}

fn granted(p: &PermissionInfo) -> bool {
    p.state.to_uppercase().starts_with("GRANT")
}

fn denied(p: &PermissionInfo) -> bool {
    p.state.eq_ignore_ascii_case("DENY")
}

fn is(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b.trim())
}

/// The DENYs of one permission list as (grantee, permission, securable), lower case.
fn denies(perms: &[PermissionInfo]) -> BTreeSet<(String, String, String)> {
    perms
        .iter()
        .filter(|p| denied(p))
        .map(|p| {
            (
                p.grantee.to_lowercase(),
                p.permission.trim().to_uppercase(),
                p.securable.to_lowercase(),
            )
        })
        .collect()
}

fn is_denied(
    denies: &BTreeSet<(String, String, String)>,
    grantee: &str,
    permission: &str,
    securable: &str,
) -> bool {
    denies.contains(&(
        grantee.to_lowercase(),
        permission.to_owned(),
        securable.to_lowercase(),
    ))
}

/// Whether a linked server's data source is this instance: `.`, `(local)`, `localhost`,
/// `127.0.0.1`, `::1`, the machine or server name, with `tcp:` / `np:` and a `,port` allowed,
/// and the same instance (none for a default instance).
pub fn is_loopback(data_source: &str, s: &Snapshot) -> bool {
    let mut ds = data_source.trim().to_lowercase();
    for prefix in ["tcp:", "np:", "lpc:"] {
        if let Some(rest) = ds.strip_prefix(prefix) {
            ds = rest.to_owned();
        }
    }
    let ds = ds.split(',').next().unwrap_or("").trim().to_owned();
    let (host, instance) = match ds.split_once('\\') {
        Some((h, i)) => (h.to_owned(), Some(i.to_owned())),
        None => (ds.clone(), None),
    };
    let server_host = s
        .server
        .server_name
        .split('\\')
        .next()
        .unwrap_or("")
        .to_lowercase();
    let machine = s.server.machine_name.to_lowercase();
    let local_host = [".", "(local)", "localhost", "127.0.0.1", "::1"].contains(&host.as_str())
        || (!machine.is_empty() && host == machine)
        || (!server_host.is_empty() && host == server_host)
        || host
            .split('.')
            .next()
            .is_some_and(|h| !machine.is_empty() && h == machine && host.contains('.'));
    let this_instance = s
        .server
        .instance_name
        .as_deref()
        .map(str::to_lowercase)
        .filter(|i| i != "mssqlserver");
    let instance = instance.filter(|i| i != "mssqlserver");
    local_host && instance == this_instance
}

impl PrivilegeGraph {
    fn node(&mut self, node: Node) -> String {
        let key = node.key();
        self.nodes.entry(key.clone()).or_insert(node);
        key
    }

    fn edge(&mut self, from: Node, kind: EdgeKind, detail: Option<String>, to: Node) {
        let from = self.node(from);
        let to = self.node(to);
        if from == to {
            return;
        }
        let edge = match detail {
            Some(d) => format!("{} {d}", kind.label()),
            None => kind.label().to_owned(),
        };
        self.edges
            .entry(from)
            .or_default()
            .insert(Edge { to, kind, edge });
    }

    /// Builds the graph from what `s` read.
    pub fn from_snapshot(s: &Snapshot) -> PrivilegeGraph {
        let mut g = PrivilegeGraph::default();
        g.node(Node::server_role("sysadmin"));
        g.node(Node::control_server());
        let logins = s.logins.as_deref().unwrap_or(&[]);
        for l in logins {
            // Every login is a member of public ("Server-level roles": "Every SQL Server login
            // belongs to the public server role"), which sys.server_role_members does not list.
            g.edge(
                Node::login(&l.name),
                EdgeKind::MemberOf,
                None,
                Node::server_role("public"),
            );
            // The built-in sa (SID 0x01, whatever its name) is always in sysadmin: SQL Server
            // refuses to take it out ("Cannot use the special principal 'sa'", error 15405).
            if l.sid.trim().eq_ignore_ascii_case("0x01") {
                g.edge(
                    Node::login(&l.name),
                    EdgeKind::MemberOf,
                    None,
                    Node::server_role("sysadmin"),
                );
            }
        }
        let members = s.server_role_members.as_deref().unwrap_or(&[]);
        let perms = s.server_permissions.as_deref().unwrap_or(&[]);
        let mut roles: BTreeSet<String> =
            FIXED_SERVER_ROLES.iter().map(|r| (*r).to_owned()).collect();
        roles.extend(members.iter().map(|m| m.role.to_lowercase()));
        roles.extend(
            members
                .iter()
                .filter(|m| m.member_kind.trim() == "R")
                .map(|m| m.member.to_lowercase()),
        );
        roles.extend(
            perms
                .iter()
                .filter(|p| p.grantee_kind.trim() == "R")
                .map(|p| p.grantee.to_lowercase()),
        );
        let server_node = |name: &str| {
            if roles.contains(&name.to_lowercase()) {
                Node::server_role(name)
            } else {
                Node::login(name)
            }
        };
        for m in members {
            g.edge(
                server_node(&m.member),
                EdgeKind::MemberOf,
                None,
                Node::server_role(&m.role),
            );
        }
        if roles.contains("securityadmin") {
            g.edge(
                Node::server_role("securityadmin"),
                EdgeKind::CanGrantItself,
                None,
                Node::control_server(),
            );
        }
        let server_denies = denies(perms);
        for p in perms.iter().filter(|p| granted(p)) {
            let permission = p.permission.trim().to_uppercase();
            let grantee = server_node(&p.grantee);
            let denied = |perm: &str, on: &str| is_denied(&server_denies, &p.grantee, perm, on);
            match (p.class.to_uppercase().as_str(), permission.as_str()) {
                ("SERVER", "CONTROL SERVER") if !denied("CONTROL SERVER", "") => {
                    g.edge(
                        grantee,
                        EdgeKind::HoldsControlServer,
                        None,
                        Node::control_server(),
                    );
                }
                ("SERVER", "IMPERSONATE ANY LOGIN") if !denied("IMPERSONATE ANY LOGIN", "") => {
                    g.edge(
                        grantee,
                        EdgeKind::ImpersonateAnyLogin,
                        None,
                        Node::server_role("sysadmin"),
                    );
                }
                ("SERVER_PRINCIPAL", "IMPERSONATE" | "CONTROL" | "ALTER")
                    if !p.securable.is_empty() =>
                {
                    let target = server_node(&p.securable);
                    if target.kind == NodeKind::ServerRole {
                        if permission != "IMPERSONATE" && !denied(&permission, &p.securable) {
                            g.edge(
                                grantee,
                                EdgeKind::CanAddItselfTo,
                                Some(format!("({permission} ON SERVER ROLE)")),
                                target,
                            );
                        }
                    } else if permission != "ALTER"
                        && !denied("IMPERSONATE", &p.securable)
                        && !denied("CONTROL", &p.securable)
                        && !denied("IMPERSONATE ANY LOGIN", "")
                    {
                        let kind = if permission == "CONTROL" {
                            EdgeKind::Control
                        } else {
                            EdgeKind::Impersonate
                        };
                        g.edge(grantee, kind, None, target);
                    }
                }
                _ => {}
            }
        }
        let databases = s.databases.as_deref().unwrap_or(&[]);
        for d in s.database_details.as_deref().unwrap_or(&[]) {
            let info = databases.iter().find(|i| is(&i.name, &d.database));
            g.add_database(d, info, s);
        }
        for ls in s.linked_servers.as_deref().unwrap_or(&[]) {
            g.add_linked_server(ls, s);
        }
        g
    }

    fn add_database(&mut self, d: &DatabaseDetail, info: Option<&DatabaseInfo>, s: &Snapshot) {
        let db = d.database.as_str();
        let role_names: BTreeSet<String> = d
            .principals
            .iter()
            .filter(|p| p.kind.trim() == "R")
            .map(|p| p.name.to_lowercase())
            .chain(d.role_members.iter().map(|m| m.role.to_lowercase()))
            .collect();
        let node = |name: &str| {
            if role_names.contains(&name.to_lowercase()) {
                Node::db_role(db, name)
            } else {
                Node::user(db, name)
            }
        };
        let dbo = Node::user(db, "dbo");
        for p in &d.principals {
            if p.kind.trim() == "R" {
                self.node(Node::db_role(db, &p.name));
                continue;
            }
            let user = Node::user(db, &p.name);
            // Every database user is a member of the database's public role, unlisted too.
            self.edge(
                user.clone(),
                EdgeKind::MemberOf,
                None,
                Node::db_role(db, "public"),
            );
            // A user whose CONNECT was revoked cannot be entered through its login.
            if let Some(login) = &p.login
                && !p.name.eq_ignore_ascii_case("dbo")
                && p.can_connect
            {
                self.edge(Node::login(login), EdgeKind::MapsToUser, None, user);
            } else {
                self.node(user);
            }
        }
        for m in &d.role_members {
            self.edge(
                node(&m.member),
                EdgeKind::MemberOf,
                None,
                Node::db_role(db, &m.role),
            );
        }
        self.edge(
            Node::db_role(db, "db_owner"),
            EdgeKind::ActsAsDbo,
            None,
            dbo.clone(),
        );
        let owner = info
            .and_then(|i| i.owner.clone())
            .or_else(|| {
                d.principals
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case("dbo"))
                    .and_then(|p| p.login.clone())
            })
            .filter(|o| !o.is_empty());
        // The owner login enters its database as dbo.
        if let Some(owner) = &owner {
            self.edge(Node::login(owner), EdgeKind::MapsToUser, None, dbo.clone());
        }
        if info.is_some_and(|i| i.trustworthy)
            && let Some(owner) = &owner
        {
            self.edge(
                dbo.clone(),
                EdgeKind::TrustworthyOwner,
                None,
                Node::login(owner),
            );
        }
        let db_denies = denies(&d.permissions);
        let denied =
            |p: &PermissionInfo, perm: &str, on: &str| is_denied(&db_denies, &p.grantee, perm, on);
        for p in d.permissions.iter().filter(|p| granted(p)) {
            let permission = p.permission.trim().to_uppercase();
            let class = p.class.to_uppercase();
            if class == "DATABASE" && permission == "CONTROL" && !denied(p, "CONTROL", "") {
                self.edge(
                    node(&p.grantee),
                    EdgeKind::ActsAsDbo,
                    Some("(CONTROL ON DATABASE)".to_owned()),
                    dbo.clone(),
                );
            }
            if class == "DATABASE_PRINCIPAL"
                && !p.securable.is_empty()
                && ["IMPERSONATE", "CONTROL", "ALTER"].contains(&permission.as_str())
            {
                let target = node(&p.securable);
                if target.kind == NodeKind::DatabaseRole {
                    if permission != "IMPERSONATE" && !denied(p, &permission, &p.securable) {
                        self.edge(
                            node(&p.grantee),
                            EdgeKind::CanAddItselfTo,
                            Some(format!("({permission} ON ROLE)")),
                            target,
                        );
                    }
                } else if permission != "ALTER"
                    && !denied(p, "IMPERSONATE", &p.securable)
                    && !denied(p, "CONTROL", &p.securable)
                {
                    let kind = if permission == "CONTROL" {
                        EdgeKind::Control
                    } else {
                        EdgeKind::Impersonate
                    };
                    self.edge(node(&p.grantee), kind, None, target);
                }
            }
        }
        // Agent jobs: msdb's job tables.
        if db.eq_ignore_ascii_case("msdb") {
            let jobs = s.agent_jobs.as_deref().unwrap_or(&[]);
            for p in d.permissions.iter().filter(|p| granted(p)) {
                let permission = p.permission.trim().to_uppercase();
                let table = ["dbo.sysjobsteps", "dbo.sysjobs"]
                    .into_iter()
                    .find(|t| is(&p.securable, t));
                if p.class.eq_ignore_ascii_case("OBJECT_OR_COLUMN")
                    && let Some(table) = table
                    && ["UPDATE", "INSERT", "ALTER", "CONTROL"].contains(&permission.as_str())
                    && !denied(p, &permission, &p.securable)
                {
                    let mut jobs: Vec<_> = jobs.iter().filter(|j| j.owner.is_some()).collect();
                    jobs.sort_by(|a, b| a.name.cmp(&b.name));
                    for j in jobs {
                        let owner = j.owner.as_deref().unwrap_or("");
                        self.edge(
                            node(&p.grantee),
                            EdgeKind::ChangesJob,
                            Some(format!(
                                "Agent job {} ({permission} ON msdb.{table}), which runs as its owner",
                                j.name
                            )),
                            Node::login(owner),
                        );
                    }
                }
            }
        }
    }

    fn add_linked_server(&mut self, ls: &LinkedServerInfo, s: &Snapshot) {
        if !is_loopback(&ls.data_source, s) {
            return;
        }
        let logins = s.logins.as_deref().unwrap_or(&[]);
        for m in &ls.logins {
            let Some(remote) = m.remote.as_deref().filter(|r| !r.is_empty()) else {
                continue;
            };
            if m.uses_self {
                continue;
            }
            let sources: Vec<&str> = match &m.local {
                Some(local) => vec![local.as_str()],
                None => logins.iter().map(|l| l.name.as_str()).collect(),
            };
            let detail = Some(format!("{} (back to this server) logs in as", ls.name));
            for source in sources {
                self.edge(
                    Node::login(source),
                    EdgeKind::LinkedServer,
                    detail.clone(),
                    Node::login(remote),
                );
            }
        }
    }

    /// The nodes that already are privileged: members of sysadmin (nested roles followed) or
    /// holders of CONTROL SERVER (directly or through a role). A grant to public does not make
    /// every login privileged here: such a grant is a path, reported for each login (X13 flags
    /// the grant itself).
    pub fn privileged(&self) -> BTreeSet<String> {
        let public = Node::server_role("public").key();
        let targets = [
            Node::server_role("sysadmin").key(),
            Node::control_server().key(),
        ];
        let mut out: BTreeSet<String> = targets.iter().cloned().collect();
        loop {
            let before = out.len();
            for (from, edges) in &self.edges {
                let server_side = self.nodes.get(from).is_some_and(|n| n.database.is_none());
                if server_side
                    && *from != public
                    && edges.iter().any(|e| {
                        matches!(e.kind, EdgeKind::MemberOf | EdgeKind::HoldsControlServer)
                            && out.contains(&e.to)
                    })
                {
                    out.insert(from.clone());
                }
            }
            if out.len() == before {
                return out;
            }
        }
    }

    /// The shortest path from `from` to sysadmin or CONTROL SERVER, by breadth-first search in
    /// name order (each node visited once, so cycles end); none when there is none.
    pub fn shortest_path(&self, from: &Node) -> Option<Vec<Step>> {
        self.shortest_path_along(from, None, None)
    }

    /// [`Self::shortest_path`] over the edges of the `only` kinds (all when none), never
    /// through `avoid`: X08 follows impersonation chains alone, from a grant's target, without
    /// coming back through the grantee.
    pub fn shortest_path_along(
        &self,
        from: &Node,
        only: Option<&[EdgeKind]>,
        avoid: Option<&Node>,
    ) -> Option<Vec<Step>> {
        let start = from.key();
        let targets = [
            Node::server_role("sysadmin").key(),
            Node::control_server().key(),
        ];
        let mut previous: BTreeMap<String, (String, Edge)> = BTreeMap::new();
        let mut seen = BTreeSet::from([start.clone()]);
        seen.extend(avoid.map(Node::key));
        let mut queue = VecDeque::from([start.clone()]);
        while let Some(at) = queue.pop_front() {
            if targets.contains(&at) {
                let mut steps = Vec::new();
                let mut cursor = at;
                while let Some((prev, edge)) = previous.get(&cursor) {
                    steps.push(Step {
                        from: self.nodes[prev].clone(),
                        kind: edge.kind,
                        edge: edge.edge.clone(),
                        to: self.nodes[&edge.to].clone(),
                    });
                    cursor = prev.clone();
                }
                steps.reverse();
                return Some(steps);
            }
            for e in self.edges.get(&at).into_iter().flatten() {
                if only.is_some_and(|kinds| !kinds.contains(&e.kind)) {
                    continue;
                }
                if seen.insert(e.to.clone()) {
                    previous.insert(e.to.clone(), (at.clone(), e.clone()));
                    queue.push_back(e.to.clone());
                }
            }
        }
        None
    }

    /// The paths of every principal that could use one: enabled logins that are not privileged
    /// (`##…##` internal logins excepted), and database users with no login that can connect
    /// (a user mapped to a login is reached through its login's own path).
    pub fn escalations(&self, s: &Snapshot) -> Vec<EscalationPath> {
        let privileged = self.privileged();
        let mut sources: Vec<Node> = Vec::new();
        let mut logins: Vec<_> = s
            .logins
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .filter(|l| !l.disabled && !is_internal(&l.name))
            .collect();
        logins.sort_by_key(|l| l.name.to_lowercase());
        sources.extend(logins.iter().map(|l| Node::login(&l.name)));
        let mut users = Vec::new();
        for d in s.database_details.as_deref().unwrap_or(&[]) {
            for p in &d.principals {
                let system = ["dbo", "sys", "INFORMATION_SCHEMA"]
                    .iter()
                    .any(|n| p.name.eq_ignore_ascii_case(n));
                if p.kind.trim() != "R" && p.login.is_none() && p.can_connect && !system {
                    users.push(Node::user(&d.database, &p.name));
                }
            }
        }
        users.sort_by_key(|n| n.key());
        sources.extend(users);
        // One breadth-first search backwards from the targets gives every node's distance to
        // them; each source's path then follows, at each node, the first edge in name order
        // that gets one step closer: shortest, deterministic, and linear in the graph's size
        // for all sources together (a search per source was quadratic on large instances).
        let distance = self.distances_to_targets();
        sources
            .into_iter()
            .filter(|n| !privileged.contains(&n.key()))
            .filter_map(|n| {
                self.path_by_distance(&n, &distance)
                    .map(|steps| EscalationPath {
                        principal: self.nodes.get(&n.key()).cloned().unwrap_or(n),
                        steps,
                    })
            })
            .filter(|p| !p.steps.is_empty())
            .collect()
    }

    /// Every node's number of edges to sysadmin or CONTROL SERVER (absent: unreachable).
    fn distances_to_targets(&self) -> BTreeMap<&str, usize> {
        let mut reverse: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (from, edges) in &self.edges {
            for e in edges {
                reverse
                    .entry(e.to.as_str())
                    .or_default()
                    .push(from.as_str());
            }
        }
        let targets = [
            Node::server_role("sysadmin").key(),
            Node::control_server().key(),
        ];
        let mut distance: BTreeMap<&str, usize> = BTreeMap::new();
        let mut queue = VecDeque::new();
        for t in &targets {
            if let Some((key, _)) = self.nodes.get_key_value(t) {
                distance.insert(key.as_str(), 0);
                queue.push_back(key.as_str());
            }
        }
        while let Some(at) = queue.pop_front() {
            let next = distance[at] + 1;
            for from in reverse.get(at).into_iter().flatten() {
                if !distance.contains_key(from) {
                    distance.insert(from, next);
                    queue.push_back(from);
                }
            }
        }
        distance
    }

    /// The path from `from` that takes, at each node, the first edge (name order) one step
    /// closer to a target; none when no target is reachable.
    fn path_by_distance(&self, from: &Node, distance: &BTreeMap<&str, usize>) -> Option<Vec<Step>> {
        let mut at = from.key();
        let mut left = *distance.get(at.as_str())?;
        let mut steps = Vec::new();
        while left > 0 {
            let edge = self
                .edges
                .get(&at)?
                .iter()
                .find(|e| distance.get(e.to.as_str()) == Some(&(left - 1)))?;
            steps.push(Step {
                from: self.nodes[&at].clone(),
                kind: edge.kind,
                edge: edge.edge.clone(),
                to: self.nodes[&edge.to].clone(),
            });
            at = edge.to.clone();
            left -= 1;
        }
        Some(steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::snapshot::{LinkedLoginInfo, ModuleInfo};

    fn base() -> Snapshot {
        let mut s = compliant_snapshot();
        for name in ["alice", "bob", "carol", "dave", "erin"] {
            edit(&mut s.logins).push(login(name, &format!("0x{}", name.len()), "S"));
        }
        s
    }

    fn server_perm(grantee: &str, perm: &str, state: &str, on: &str) -> PermissionInfo {
        PermissionInfo {
            securable: on.to_owned(),
            ..permission(
                grantee,
                perm,
                state,
                if on.is_empty() {
                    "SERVER"
                } else {
                    "SERVER_PRINCIPAL"
                },
            )
        }
    }

    fn chains(s: &Snapshot) -> Vec<String> {
        paths_to_sysadmin(s).iter().map(|p| p.chain()).collect()
    }

    fn chain_of(s: &Snapshot, label: &str) -> Option<String> {
        paths_to_sysadmin(s)
            .into_iter()
            .find(|p| p.principal.label() == label)
            .map(|p| p.chain())
    }

    #[test]
    fn compliant_has_no_path() {
        assert_eq!(chains(&compliant_snapshot()), Vec::<String>::new());
    }

    #[test]
    fn impersonation_chain_long_and_cyclic() {
        let mut s = base();
        let p = edit(&mut s.server_permissions);
        p.push(server_perm("alice", "IMPERSONATE", "GRANT", "bob"));
        p.push(server_perm("bob", "IMPERSONATE", "GRANT", "alice"));
        p.push(server_perm("bob", "IMPERSONATE", "GRANT", "carol"));
        p.push(server_perm("carol", "CONTROL", "GRANT", "CORP\\dba"));
        // a cycle with no way out
        p.push(server_perm("dave", "IMPERSONATE", "GRANT", "erin"));
        p.push(server_perm("erin", "IMPERSONATE", "GRANT", "dave"));
        assert_eq!(
            chain_of(&s, "login alice").unwrap(),
            "login alice \u{2014}IMPERSONATE\u{2192} login bob \u{2014}IMPERSONATE\u{2192} login carol \u{2014}CONTROL\u{2192} login CORP\\dba \u{2014}member of\u{2192} sysadmin"
        );
        assert_eq!(paths_to_sysadmin(&s)[0].steps.len(), 4);
        assert!(chain_of(&s, "login dave").is_none());
        assert!(chain_of(&s, "login erin").is_none());
        // the privileged are never sources
        assert!(chain_of(&s, "login CORP\\dba").is_none());
    }

    #[test]
    fn the_shortest_path_wins_in_name_order() {
        let mut s = base();
        let p = edit(&mut s.server_permissions);
        p.push(server_perm("alice", "IMPERSONATE", "GRANT", "bob"));
        p.push(server_perm("bob", "IMPERSONATE", "GRANT", "carol"));
        p.push(server_perm("carol", "CONTROL SERVER", "GRANT", ""));
        p.push(server_perm("alice", "IMPERSONATE", "GRANT", "dave"));
        p.push(server_perm("dave", "CONTROL SERVER", "GRANT", ""));
        p.push(server_perm("alice", "IMPERSONATE", "GRANT", "erin"));
        p.push(server_perm("erin", "CONTROL SERVER", "GRANT", ""));
        assert_eq!(
            chain_of(&s, "login alice").unwrap(),
            "login alice \u{2014}IMPERSONATE\u{2192} login dave \u{2014}holds\u{2192} CONTROL SERVER"
        );
        // carol, dave and erin hold CONTROL SERVER: privileged, not reported.
        assert_eq!(paths_to_sysadmin(&s).len(), 2); // alice, bob
    }

    #[test]
    fn nested_server_roles_and_windows_groups() {
        let mut s = base();
        edit(&mut s.logins).push(login("CORP\\helpdesk", "0x77", "G"));
        let m = edit(&mut s.server_role_members);
        m.push(member("tier1", "CORP\\helpdesk", "G"));
        m.push(member("tier2", "tier1", "R"));
        let p = edit(&mut s.server_permissions);
        p.push(PermissionInfo {
            grantee_kind: "R".into(),
            ..server_perm("tier2", "IMPERSONATE", "GRANT", "CORP\\dba")
        });
        // nested membership in sysadmin is privilege, not a path
        m.push(member("admins", "carol", "S"));
        m.push(member("sysadmin", "admins", "R"));
        assert_eq!(
            chain_of(&s, "login CORP\\helpdesk").unwrap(),
            "login CORP\\helpdesk \u{2014}member of\u{2192} server role tier1 \u{2014}member of\u{2192} server role tier2 \u{2014}IMPERSONATE\u{2192} login CORP\\dba \u{2014}member of\u{2192} sysadmin"
        );
        assert!(chain_of(&s, "login carol").is_none());
    }

    #[test]
    fn deny_breaks_a_path() {
        let mut s = base();
        let p = edit(&mut s.server_permissions);
        p.push(server_perm("alice", "IMPERSONATE", "GRANT", "CORP\\dba"));
        p.push(server_perm("alice", "IMPERSONATE", "DENY", "CORP\\dba"));
        p.push(server_perm("bob", "CONTROL SERVER", "GRANT", ""));
        p.push(server_perm("bob", "CONTROL SERVER", "DENY", ""));
        p.push(server_perm("carol", "IMPERSONATE", "GRANT", "bob"));
        p.push(server_perm("dave", "IMPERSONATE ANY LOGIN", "GRANT", ""));
        p.push(server_perm("erin", "IMPERSONATE ANY LOGIN", "GRANT", ""));
        p.push(server_perm("erin", "IMPERSONATE ANY LOGIN", "DENY", ""));
        assert_eq!(
            chains(&s),
            ["login dave \u{2014}IMPERSONATE ANY LOGIN\u{2192} sysadmin"]
        );
    }

    #[test]
    fn securityadmin_and_role_alter() {
        let mut s = base();
        edit(&mut s.server_role_members).push(member("securityadmin", "alice", "S"));
        edit(&mut s.server_permissions).push(server_perm("bob", "ALTER", "GRANT", "sysadmin"));
        assert_eq!(
            chains(&s),
            [
                "login alice \u{2014}member of\u{2192} server role securityadmin \u{2014}can grant itself\u{2192} CONTROL SERVER",
                "login bob \u{2014}can add itself to (ALTER ON SERVER ROLE)\u{2192} sysadmin",
            ]
        );
    }

    fn msdb(s: &mut Snapshot) -> &mut DatabaseDetail {
        edit(&mut s.database_details)
            .iter_mut()
            .find(|d| d.database == "msdb")
            .unwrap()
    }

    #[test]
    fn msdb_db_owner_reaches_sa_through_trustworthy() {
        let mut s = base();
        let d = msdb(&mut s);
        d.principals.push(user("alice", "S", "0x5", Some("alice")));
        d.role_members.push(member("db_owner", "alice", "S"));
        assert_eq!(
            chains(&s),
            [
                "login alice \u{2014}maps to\u{2192} user alice in msdb \u{2014}member of\u{2192} role db_owner in msdb \u{2014}can impersonate\u{2192} dbo of msdb \u{2014}TRUSTWORTHY database: runs with the server rights of\u{2192} login sa_renamed \u{2014}member of\u{2192} sysadmin"
            ]
        );
    }

    #[test]
    fn trustworthy_owned_by_sysadmin_vs_by_a_normal_login() {
        let mut s = base();
        for (db, owner) in [("AppDb", "CORP\\dba"), ("Decoy", "bob")] {
            let mut info = database(db, 20);
            info.trustworthy = true;
            info.owner = Some(owner.to_owned());
            edit(&mut s.databases).push(info);
            let mut d = detail(db, vec![user("alice", "S", "0x5", Some("alice"))]);
            d.role_members.push(member("db_owner", "alice", "S"));
            edit(&mut s.database_details).push(d);
        }
        assert_eq!(
            chains(&s),
            [
                "login alice \u{2014}maps to\u{2192} user alice in AppDb \u{2014}member of\u{2192} role db_owner in AppDb \u{2014}can impersonate\u{2192} dbo of AppDb \u{2014}TRUSTWORTHY database: runs with the server rights of\u{2192} login CORP\\dba \u{2014}member of\u{2192} sysadmin"
            ]
        );
        // Not trustworthy: no path.
        edit(&mut s.databases)
            .iter_mut()
            .for_each(|d| d.trustworthy = d.name == "msdb");
        assert!(chains(&s).is_empty());
    }

    #[test]
    fn altering_a_module_that_runs_as_dbo_is_no_path() {
        let mut s = base();
        let mut info = database("AppDb", 20);
        info.trustworthy = true;
        info.owner = Some("sa_renamed".into());
        edit(&mut s.databases).push(info);
        let mut d = detail(
            "AppDb",
            vec![
                user("bob", "S", "0x3", Some("bob")),
                user("carol", "S", "0x5", Some("carol")),
                user("contained", "S", "0x99", None),
            ],
        );
        d.role_members.push(member("db_ddladmin", "bob", "S"));
        d.modules.push(ModuleInfo {
            schema: "dbo".into(),
            name: "usp_maint".into(),
            kind: "P".into(),
            execute_as: "dbo".into(),
            as_owner: true,
        });
        d.permissions.push(PermissionInfo {
            securable: "bob".into(),
            ..permission("contained", "IMPERSONATE", "GRANT", "DATABASE_PRINCIPAL")
        });
        let mut on_proc = permission("carol", "ALTER", "GRANT", "OBJECT_OR_COLUMN");
        on_proc.securable = "dbo.usp_maint".into();
        d.permissions.push(on_proc);
        edit(&mut s.database_details).push(d);
        // db_ddladmin (bob), ALTER on the module (carol) and IMPERSONATE on bob (contained)
        // cannot keep EXECUTE AS OWNER without IMPERSONATE on dbo: no path.
        assert!(chains(&s).is_empty(), "{:?}", chains(&s));
    }

    #[test]
    fn agent_job_steps_editable_by_others() {
        let mut s = base();
        edit(&mut s.agent_jobs).push(agent_job("Nightly"));
        let d = msdb(&mut s);
        d.principals.push(user("dave", "S", "0x4", Some("dave")));
        let mut p = permission("dave", "UPDATE", "GRANT", "OBJECT_OR_COLUMN");
        p.securable = "dbo.sysjobsteps".into();
        d.permissions.push(p);
        // SQLAgentOperatorRole is no edge
        d.principals.push(user("erin", "S", "0x6", Some("erin")));
        d.role_members
            .push(member("SQLAgentOperatorRole", "erin", "S"));
        assert_eq!(
            chains(&s),
            [
                "login dave \u{2014}maps to\u{2192} user dave in msdb \u{2014}can change Agent job Nightly (UPDATE ON msdb.dbo.sysjobsteps), which runs as its owner\u{2192} login sa_renamed \u{2014}member of\u{2192} sysadmin"
            ]
        );
    }

    fn linked(data_source: &str, local: Option<&str>, remote: &str) -> LinkedServerInfo {
        LinkedServerInfo {
            name: "LOOP".into(),
            product: String::new(),
            provider: "SQLNCLI11".into(),
            data_source: data_source.into(),
            rpc_out: true,
            logins: vec![LinkedLoginInfo {
                local: local.map(str::to_owned),
                uses_self: false,
                remote: Some(remote.into()),
                local_hidden: false,
            }],
        }
    }

    #[test]
    fn loopback_linked_server_and_remote_decoy() {
        let mut s = base();
        s.server.machine_name = "SQLPROD01".into();
        s.server.server_name = "SQLPROD01".into();
        s.server.instance_name = None;
        edit(&mut s.linked_servers).push(linked("localhost", Some("erin"), "sa_renamed"));
        edit(&mut s.linked_servers).push(linked("OTHERHOST", Some("dave"), "sa_renamed"));
        assert_eq!(
            chains(&s),
            [
                "login erin \u{2014}linked server LOOP (back to this server) logs in as\u{2192} login sa_renamed \u{2014}member of\u{2192} sysadmin"
            ]
        );
        assert!(is_loopback("tcp:sqlprod01,1433", &s));
        assert!(is_loopback("(local)", &s));
        assert!(is_loopback("127.0.0.1", &s));
        assert!(!is_loopback("SQLPROD01\\OTHER", &s));
        s.server.instance_name = Some("INST1".into());
        assert!(is_loopback("SQLPROD01\\inst1", &s));
        assert!(!is_loopback("SQLPROD01", &s));
    }

    #[test]
    fn a_grant_to_public_is_a_path_for_every_login() {
        let mut s = base();
        edit(&mut s.server_permissions).push(PermissionInfo {
            grantee_kind: "R".into(),
            ..server_perm("public", "IMPERSONATE", "GRANT", "CORP\\dba")
        });
        let c = chains(&s);
        assert_eq!(c.len(), 6, "{c:#?}"); // alice … erin and app_user; not the sysadmins
        assert_eq!(
            c[0],
            "login alice \u{2014}member of\u{2192} server role public \u{2014}IMPERSONATE\u{2192} login CORP\\dba \u{2014}member of\u{2192} sysadmin"
        );
        // CONTROL SERVER to public makes no one "already privileged": every login is reported.
        let mut s = base();
        edit(&mut s.server_permissions).push(PermissionInfo {
            grantee_kind: "R".into(),
            ..server_perm("public", "CONTROL SERVER", "GRANT", "")
        });
        assert_eq!(chains(&s).len(), 6);
    }

    #[test]
    fn a_role_with_impersonate_on_an_unprivileged_login_is_no_path() {
        let mut s = base();
        edit(&mut s.server_role_members).push(member("helpers", "alice", "S"));
        edit(&mut s.server_permissions).push(PermissionInfo {
            grantee_kind: "R".into(),
            ..server_perm("helpers", "IMPERSONATE", "GRANT", "bob")
        });
        assert!(chains(&s).is_empty());
    }
}
