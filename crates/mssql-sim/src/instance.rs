//! What a simulated instance is: its version, its logins and role memberships, its databases.
//! (The file format for fixtures, covering the whole catalog, arrives with the built-in
//! fixtures; this model is what the engine loads its catalog tables from.)

/// A SQL login of the simulated instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// Login name.
    pub name: String,
    /// Its password, kept in clear so that the simulator can verify logins and PWDCOMPARE.
    pub password: String,
    /// Disabled logins cannot connect (error 18470).
    pub enabled: bool,
    /// Fixed server roles it belongs to (`sysadmin`, `securityadmin`, …).
    pub server_roles: Vec<String>,
    /// CHECK_POLICY.
    pub policy_checked: bool,
}

impl Login {
    /// An enabled login with CHECK_POLICY on and no server role.
    pub fn new(name: &str, password: &str) -> Login {
        Login {
            name: name.to_owned(),
            password: password.to_owned(),
            enabled: true,
            server_roles: Vec::new(),
            policy_checked: true,
        }
    }

    /// The same login in `role` too.
    pub fn in_role(mut self, role: &str) -> Login {
        self.server_roles.push(role.to_owned());
        self
    }
}

/// A database of the simulated instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    /// Name.
    pub name: String,
    /// TRUSTWORTHY.
    pub trustworthy: bool,
}

/// How a Windows service starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Startup {
    /// Starts with Windows.
    Automatic,
    /// Started by hand.
    Manual,
    /// Cannot start.
    Disabled,
}

/// A Windows service of the instance (`sys.dm_server_services`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Display name, e.g. `SQL Server (MSSQLSERVER)`.
    pub name: String,
    /// The account it runs as, e.g. `LocalSystem` or `NT Service\MSSQLSERVER`.
    pub account: String,
    /// Startup type.
    pub startup: Startup,
    /// Whether it is running now.
    pub running: bool,
}

/// One simulated SQL Server instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// `@@SERVERNAME`, e.g. `SQLSIM01\SQL2019`.
    pub server_name: String,
    /// Product version: major, minor, build, revision (15.0.2000.5 for 2019 RTM).
    pub version: (u8, u8, u16, u16),
    /// Edition, as `SERVERPROPERTY('Edition')` reports it.
    pub edition: String,
    /// SQL logins (besides `sa`, which every instance has).
    pub logins: Vec<Login>,
    /// The `sa` login's password and state.
    pub sa: Login,
    /// User databases (the system databases are always there).
    pub databases: Vec<Database>,
    /// `sp_configure` options that differ from the defaults: (name, value).
    pub configurations: Vec<(String, i64)>,
    /// The instance's Windows services.
    pub services: Vec<Service>,
}

impl Instance {
    /// An instance with the defaults of a fresh installation: `sa` enabled, no other login, no
    /// user database, every option at its default, engine and agent services under their
    /// virtual accounts.
    pub fn new(server_name: &str, version: (u8, u8, u16, u16), edition: &str) -> Instance {
        let service = server_name.split_once('\\').map(|(_, i)| i.to_owned());
        let (engine, agent) = match &service {
            Some(name) => (format!("MSSQL${name}"), format!("SQLAgent${name}")),
            None => ("MSSQLSERVER".to_owned(), "SQLSERVERAGENT".to_owned()),
        };
        let instance_label = service.unwrap_or_else(|| "MSSQLSERVER".to_owned());
        Instance {
            server_name: server_name.to_owned(),
            version,
            edition: edition.to_owned(),
            logins: Vec::new(),
            sa: Login::new("sa", "Sa-Password-1"),
            databases: Vec::new(),
            configurations: Vec::new(),
            services: vec![
                Service {
                    name: format!("SQL Server ({instance_label})"),
                    account: format!("NT Service\\{engine}"),
                    startup: Startup::Automatic,
                    running: true,
                },
                Service {
                    name: format!("SQL Server Agent ({instance_label})"),
                    account: format!("NT Service\\{agent}"),
                    startup: Startup::Manual,
                    running: false,
                },
            ],
        }
    }

    /// The SQL login `name`, `sa` included (compared case-insensitively, as under the default
    /// collation).
    pub fn login(&self, name: &str) -> Option<&Login> {
        std::iter::once(&self.sa)
            .chain(&self.logins)
            .find(|l| l.name.eq_ignore_ascii_case(name))
    }

    /// `major.minor.build.revision`.
    pub fn product_version(&self) -> String {
        let (a, b, c, d) = self.version;
        format!("{a}.{b}.{c}.{d}")
    }
}
