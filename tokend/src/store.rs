//! PostgreSQL: the project's two statements on a few pipelined connections, each replaced when it breaks.
//! A statement that fails or takes too long is the caller's cue to hand the request to the Django
//! application, which answers it as it always has (a 503 while the database is away).

use std::error::Error;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio_postgres::types::{FromSql, Format, IsNull, ToSql, Type};
use tokio_postgres::{Client, NoTls, Row, Statement};

type BoxError = Box<dyn Error + Sync + Send>;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// A parameter sent as text: PostgreSQL parses it as the type it inferred for the placeholder, as it
/// does psycopg's, so the project's SQL runs unchanged.
#[derive(Debug)]
pub struct Text(pub String);

impl ToSql for Text {
    fn to_sql(&self, _: &Type, out: &mut tokio_postgres::types::private::BytesMut) -> Result<IsNull, BoxError> {
        out.extend_from_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }
    fn accepts(_: &Type) -> bool {
        true
    }
    fn encode_format(&self, _: &Type) -> Format {
        Format::Text
    }
    tokio_postgres::types::to_sql_checked!();
}

/// A json or jsonb column, as its text.
pub struct Json(pub String);

impl<'a> FromSql<'a> for Json {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        let text = if *ty == Type::JSONB { raw.get(1..).ok_or("empty jsonb")? } else { raw }; // version byte
        Ok(Json(std::str::from_utf8(text)?.to_owned()))
    }
    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSONB || *ty == Type::JSON
    }
}

struct Connection {
    client: Client,
    read: Statement,
    spend: Statement,
    purge: Statement,
}

pub struct Store {
    url: String,
    read_sql: String,
    spend_sql: String,
    purge_sql: String,
    slots: Vec<Mutex<Option<Arc<Connection>>>>,
    next: AtomicUsize,
}

fn params(values: &[Text]) -> Vec<&(dyn ToSql + Sync)> {
    values.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

impl Store {
    pub fn new(url: String, read_sql: String, spend_sql: String, purge_sql: String, connections: usize) -> Store {
        let slots = (0..connections.max(1)).map(|_| Mutex::new(None)).collect();
        Store { url, read_sql, spend_sql, purge_sql, slots, next: AtomicUsize::new(0) }
    }

    async fn connect(&self) -> Result<Arc<Connection>, BoxError> {
        let (client, connection) = tokio_postgres::connect(&self.url, NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                crate::log::warning(&format!("database connection closed: {e}"));
            }
        });
        let read = client.prepare(&self.read_sql).await?;
        let spend = client.prepare(&self.spend_sql).await?;
        let purge = client.prepare(&self.purge_sql).await?;
        Ok(Arc::new(Connection { client, read, spend, purge }))
    }

    /// A live connection, connecting (with a deadline) when its slot has none or a closed one.
    async fn connection(&self) -> Result<Arc<Connection>, BoxError> {
        let slot = &self.slots[self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len()];
        let mut held = slot.lock().await;
        if let Some(connection) = held.as_ref().filter(|c| !c.client.is_closed()) {
            return Ok(connection.clone());
        }
        *held = None;
        let connection = tokio::time::timeout(CONNECT_TIMEOUT, self.connect()).await.map_err(|_| "connect timed out")??;
        *held = Some(connection.clone());
        Ok(connection)
    }

    /// Every connection opened now: tokend does not take requests before the database answers.
    pub async fn open(&self) -> Result<(), BoxError> {
        for _ in 0..self.slots.len() {
            self.connection().await?;
        }
        Ok(())
    }

    pub async fn read(&self, values: &[Text]) -> Result<Option<Row>, BoxError> {
        let connection = self.connection().await?;
        let rows = tokio::time::timeout(STATEMENT_TIMEOUT, connection.client.query(&connection.read, &params(values)))
            .await
            .map_err(|_| "read timed out")??;
        Ok(rows.into_iter().next())
    }

    /// True if the `jti` was new (spent now, with the usage record), false if it was spent before.
    pub async fn spend(&self, values: &[Text]) -> Result<bool, BoxError> {
        let connection = self.connection().await?;
        let values = params(values);
        let query = connection.client.query_one(&connection.spend, &values);
        let row = tokio::time::timeout(STATEMENT_TIMEOUT, query).await.map_err(|_| "spend timed out")??;
        Ok(row.get::<_, i64>(0) == 1)
    }

    /// Used grant ids whose grants expired before `cutoff` are dropped (`grants.purge_used_grants`).
    pub async fn purge(&self, cutoff: Text) -> Result<u64, BoxError> {
        let connection = self.connection().await?;
        Ok(connection.client.execute(&connection.purge, &params(&[cutoff])).await?)
    }
}
