//! The pure TDS codecs against a real client: tiberius sends RPC requests (`query` with
//! parameters, which becomes `sp_executesql`, and `Command`, a procedure by name with OUTPUT
//! parameters) to a minimal responder built only from `mssql_sim::tds`, which decodes them
//! with `rpc::decode` and echoes every parameter back in the column type its TYPE_INFO maps
//! to. So tiberius's own encoder checks the RPC decoder, and its decoder checks the token
//! writer's new types (tinyint, smallint, decimal, PLP, datetime2, date, uniqueidentifier,
//! RETURNSTATUS, RETURNVALUE, DONEINPROC, DONEPROC). The simulator's server does not route RPC
//! yet; this responder stands in for it.

mod common;

use std::sync::{Arc, Mutex};

use mssql_sim::tds::packet::{self, HEADER_LEN, Header, PacketType};
use mssql_sim::tds::tokens::{ColumnType, DoneKind, TokenWriter, done};
use mssql_sim::tds::{login7, prelogin, rpc};
use tiberius::numeric::Numeric;
use tiberius::time::{Date, DateTime, DateTime2, DateTimeOffset, SmallDateTime, Time};
use tiberius::xml::XmlData;
use tiberius::{ColumnData, Command, Uuid};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Every RPC payload the responder received, in order.
type Captured = Arc<Mutex<Vec<Vec<u8>>>>;

async fn read_message(stream: &mut TcpStream) -> Option<(PacketType, Vec<u8>)> {
    let mut payload = Vec::new();
    loop {
        let mut header = [0u8; HEADER_LEN];
        stream.read_exact(&mut header).await.ok()?;
        let header = Header::decode(&header, packet::MAX_PACKET_SIZE).unwrap();
        let start = payload.len();
        payload.resize(start + header.length - HEADER_LEN, 0);
        stream.read_exact(&mut payload[start..]).await.unwrap();
        if header.is_last() {
            return Some((header.kind, payload));
        }
    }
}

async fn send(stream: &mut TcpStream, tokens: TokenWriter) {
    let bytes = packet::encode_message(PacketType::TabularResult, &tokens.into_bytes(), 4096);
    stream.write_all(&bytes).await.unwrap();
}

/// PRELOGIN and LOGIN7 accepted without checks, then RPCs answered as SQL Server answers
/// `sp_executesql`: the result set, DONEINPROC, RETURNSTATUS, RETURNVALUEs, DONEPROC.
async fn respond(mut stream: TcpStream, captured: Captured) {
    let (_, payload) = read_message(&mut stream).await.unwrap();
    prelogin::decode(&payload).unwrap();
    let response = prelogin::encode_response((15, 0, 2000), prelogin::Encryption::NotSupported);
    let bytes = packet::encode_message(PacketType::TabularResult, &response, 4096);
    stream.write_all(&bytes).await.unwrap();
    let (_, payload) = read_message(&mut stream).await.unwrap();
    let login = login7::decode(&payload).unwrap();
    let mut w = TokenWriter::new();
    w.env_change_text(1, "master", "master");
    w.env_change_collation(mssql_sim::tds::tokens::COLLATION);
    w.login_ack(login.tds_version, "Microsoft SQL Server", (15, 0, 2000));
    w.env_change_text(4, "4096", "4096");
    w.done(DoneKind::Done, 0, 0, 0);
    send(&mut stream, w).await;
    while let Some((kind, payload)) = read_message(&mut stream).await {
        assert_eq!(kind, PacketType::Rpc);
        captured.lock().unwrap().push(payload.clone());
        let mut w = TokenWriter::new();
        for call in rpc::decode(&payload).unwrap() {
            // sp_executesql's own @stmt and @params are not echoed.
            let skip = if call.proc_id == Some(rpc::SP_EXECUTESQL) {
                2
            } else {
                0
            };
            let params = &call.params[skip..];
            let columns: Vec<(String, ColumnType)> = params
                .iter()
                .map(|p| (p.name.clone(), p.ty.column_type()))
                .collect();
            let named: Vec<(&str, ColumnType)> =
                columns.iter().map(|(n, t)| (n.as_str(), *t)).collect();
            let kinds: Vec<ColumnType> = columns.iter().map(|c| c.1).collect();
            let values: Vec<_> = params.iter().map(|p| p.value.clone()).collect();
            w.column_metadata(&named);
            w.row(&kinds, &values);
            w.done(DoneKind::InProc, done::COUNT | done::MORE, 0xC1, 1);
            w.return_status(0);
            for (i, p) in call.params.iter().enumerate() {
                if p.output {
                    w.return_value(i as u16, &p.name, p.ty.column_type(), &p.value);
                }
            }
            w.done(DoneKind::Proc, 0, 0xE0, 0);
        }
        send(&mut stream, w).await;
    }
}

async fn serve() -> (u16, Captured) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let captured = Captured::default();
    let sink = captured.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(respond(stream, sink.clone()));
        }
    });
    (port, captured)
}

#[tokio::test]
async fn tiberius_parameters_round_trip_through_rpc_decode_and_the_token_writer() {
    let (port, captured) = serve().await;
    let mut client = common::connect(port, "u", "p", None).await.unwrap();
    let guid = Uuid::parse_str("6f9619ff-8b86-d011-b42d-00c04fc964ff").unwrap();
    let long_text = "ü".repeat(5000); // over 4000 characters: nvarchar(max), PLP
    let long_bytes = vec![0xAB; 9000]; // over 8000 bytes: varbinary(max), PLP
    let date = Date::new(738_000);
    let datetime2 =
        ColumnData::DateTime2(Some(DateTime2::new(date, Time::new(123_456_789_012, 7))));
    let row = client
        .query(
            "SELECT @P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10, @P11, @P12, @P13, @P14, @P15",
            &[
                &1i32,
                &200u8,
                &-300i16,
                &i64::MIN,
                &true,
                &1.5f64,
                &"héllo",
                &long_text.as_str(),
                &vec![1u8, 2, 3],
                &long_bytes,
                &guid,
                &Numeric::new_with_scale(-1_234_567, 3),
                &ColumnData::Date(Some(date)),
                &datetime2,
                &Option::<i32>::None,
            ],
        )
        .await
        .unwrap()
        .into_row()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.get::<i32, _>(0), Some(1));
    assert_eq!(row.get::<u8, _>(1), Some(200));
    assert_eq!(row.get::<i16, _>(2), Some(-300));
    assert_eq!(row.get::<i64, _>(3), Some(i64::MIN));
    assert_eq!(row.get::<bool, _>(4), Some(true));
    assert_eq!(row.get::<f64, _>(5), Some(1.5));
    assert_eq!(row.get::<&str, _>(6), Some("héllo"));
    assert_eq!(row.get::<&str, _>(7), Some(long_text.as_str()));
    assert_eq!(row.get::<&[u8], _>(8), Some(&[1u8, 2, 3][..]));
    assert_eq!(row.get::<&[u8], _>(9), Some(long_bytes.as_slice()));
    assert_eq!(row.get::<Uuid, _>(10), Some(guid));
    let numeric: Numeric = row.get(11).unwrap();
    assert_eq!((numeric.value(), numeric.scale()), (-1_234_567, 3));
    let cells: Vec<&ColumnData> = row.cells().map(|(_, data)| data).collect();
    assert_eq!(cells[12], &ColumnData::Date(Some(date)));
    assert_eq!(cells[13], &datetime2);
    assert_eq!(cells[14], &ColumnData::I32(None));

    // Types the simulator sends back as another type: real as float, smalldatetime as
    // datetime, time and datetimeoffset as text, xml as nvarchar(max).
    let row = client
        .query(
            "SELECT @P1, @P2, @P3, @P4, @P5, @P6",
            &[
                &0.25f32,
                &ColumnData::DateTime(Some(DateTime::new(45_000, 301))),
                &ColumnData::SmallDateTime(Some(SmallDateTime::new(45_000, 61))),
                &ColumnData::Time(Some(Time::new(468_051_234_567, 7))),
                &ColumnData::DateTimeOffset(Some(DateTimeOffset::new(
                    DateTime2::new(Date::new(738_000), Time::new(84_600, 0)),
                    -90,
                ))),
                &XmlData::new("<a>é</a>"),
            ],
        )
        .await
        .unwrap()
        .into_row()
        .await
        .unwrap()
        .unwrap();
    let cells: Vec<&ColumnData> = row.cells().map(|(_, data)| data).collect();
    assert_eq!(cells[0], &ColumnData::F64(Some(0.25)));
    assert_eq!(
        cells[1],
        &ColumnData::DateTime(Some(DateTime::new(45_000, 301)))
    );
    assert_eq!(
        cells[2],
        &ColumnData::DateTime(Some(DateTime::new(45_000, 61 * 60 * 300)))
    );
    assert_eq!(row.get::<&str, _>(3), Some("13:00:05.1234567"));
    assert_eq!(row.get::<&str, _>(4), Some("2021-07-30 22:00:00 -01:30"));
    assert_eq!(row.get::<&str, _>(5), Some("<a>é</a>"));

    // The first request was sp_executesql by ProcID; its @params declared the types.
    let calls = rpc::decode(&captured.lock().unwrap()[0]).unwrap();
    assert_eq!(calls[0].procedure, "sp_executesql");
    let declared = &calls[0].params[1].value;
    assert!(
        matches!(declared, mssql_sim::tds::tokens::Value::Text(t) if t.starts_with("@P1 int,")),
        "{declared:?}"
    );
}

#[tokio::test]
async fn a_procedure_by_name_with_output_parameters_gets_returnvalue_and_returnstatus() {
    let (port, _) = serve().await;
    let mut client = common::connect(port, "u", "p", None).await.unwrap();
    let mut cmd = Command::new("dbo.usp_audit");
    cmd.bind_param("@in", 34i32);
    cmd.bind_out_param("@out", "bar");
    cmd.bind_out_param("@n", i64::MAX);
    let result = cmd
        .exec(&mut client)
        .await
        .unwrap()
        .into_command_result()
        .await
        .unwrap();
    assert_eq!(result.return_code(), 0);
    assert_eq!(result.return_values_len(), 2);
    assert_eq!(
        result.try_return_value::<&str>("@out").unwrap(),
        Some("bar")
    );
    assert_eq!(
        result.try_return_value::<i64>("@n").unwrap(),
        Some(i64::MAX)
    );
    let rows = result.to_query_result(0).unwrap();
    assert_eq!(rows[0].get::<i32, _>(0), Some(34));
}

#[tokio::test]
async fn what_tiberius_sends_for_select_p1_is_the_golden_vector() {
    let (port, captured) = serve().await;
    let mut client = common::connect(port, "u", "p", None).await.unwrap();
    let row = client
        .query("SELECT @P1", &[&1i32])
        .await
        .unwrap()
        .into_row()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.get::<i32, _>(0), Some(1));
    let payload = captured.lock().unwrap()[0].clone();
    assert_eq!(payload, rpc::TIBERIUS_SELECT_P1);
}
