//! From the settings to the things they configure: the memory store, the provider (with its
//! recorder or replay), the turn options, the prices.

use std::sync::Arc;
use std::time::Duration;

use super::{Config, MemoryBackend, ProviderKind, Secret};
use crate::chat::TurnOptions;
use crate::chat::persona::Persona;
use crate::memory::{LocalOptions, LocalStore, Retention, StoreError};
use crate::provider::anthropic::{Anthropic, AnthropicConfig};
use crate::provider::demo::Demo;
use crate::provider::record::{Recorder, Replay};
use crate::provider::{Provider, ProviderError};

impl Config {
    pub fn local_options(&self) -> LocalOptions {
        LocalOptions {
            dir: self.memory.dir.clone(),
            history_dir: self.memory.history_dir.clone(),
            max_file_bytes: self.memory.max_file_kib * 1024,
            retention: Retention {
                max_entries: usize::try_from(self.memory.history_keep).unwrap_or(usize::MAX),
                ..Retention::default()
            },
        }
    }

    pub fn turn_options(&self) -> TurnOptions {
        TurnOptions {
            max_calls: self.max_calls,
            max_tokens: self.max_tokens,
            thinking: self.thinking,
            context_editing: self.context_editing,
            instructions: self.instructions.clone(),
            model: None,
            memory_index: self.memory.index,
            note: None,
            receipts: self.receipts,
            leases: self.leases,
            session: None,
        }
    }

    /// The memory store as configured: the local directory, or the team's Redis or
    /// PostgreSQL store.
    pub fn open_store(&self) -> Result<Arc<dyn crate::memory::MemoryStore>, StoreError> {
        match self.memory.backend {
            MemoryBackend::Redis => Ok(Arc::new(self.redis_store()?)),
            MemoryBackend::Postgres => Ok(Arc::new(self.postgres_store()?)),
            MemoryBackend::Local => Ok(Arc::new(LocalStore::open(&self.local_options())?)),
        }
    }

    /// The PostgreSQL store (`--memory-backend postgres`).
    pub fn postgres_store(&self) -> Result<crate::memory::postgres::PgStore, StoreError> {
        let url = self.memory.database_url.clone().ok_or_else(|| {
            StoreError::Rejected(
                "the PostgreSQL memory store needs a database: --database-url \
                 postgres://user:password@host:5432/db (or memory.database_url, \
                 MEMDECK_DATABASE_URL)"
                    .to_owned(),
            )
        })?;
        crate::memory::postgres::PgStore::open(crate::memory::postgres::PgOptions {
            url,
            namespace: self.memory.namespace.clone(),
            max_file_bytes: self.memory.max_file_kib * 1024,
            history_keep: self.memory.history_keep,
            host: crate::memory::redis::hostname(),
        })
    }

    /// The Redis store (`--memory-backend redis`).
    pub fn redis_store(&self) -> Result<crate::memory::redis::RedisStore, StoreError> {
        let url = self.memory.redis_url.clone().ok_or_else(|| {
            StoreError::Rejected(
                "the Redis memory store needs a server: --redis-url redis://host:6379 (or \
                 memory.redis_url, MEMDECK_REDIS_URL)"
                    .to_owned(),
            )
        })?;
        crate::memory::redis::RedisStore::open(crate::memory::redis::RedisOptions {
            url,
            namespace: self.memory.namespace.clone(),
            max_file_bytes: self.memory.max_file_kib * 1024,
            history_keep: self.memory.history_keep,
            host: crate::memory::redis::hostname(),
        })
    }

    /// What to check when the store cannot be opened.
    pub fn store_hint(&self) -> &'static str {
        match self.memory.backend {
            MemoryBackend::Redis => {
                "check --redis-url (MEMDECK_REDIS_URL), that the server runs, and the namespace"
            }
            MemoryBackend::Postgres => {
                "check --database-url (MEMDECK_DATABASE_URL), that the server runs and lets the \
                 user in, and the namespace"
            }
            MemoryBackend::Local => {
                "check --memory-dir (or MEMDECK_MEMORY_DIR) and its permissions"
            }
        }
    }

    /// The prices, and the model tabs use unless they picked one: for costs.
    pub fn pricing(&self) -> crate::chat::cost::Pricing {
        crate::chat::cost::Pricing {
            table: self.prices.clone(),
            model: self.model.clone(),
            free: self.provider_kind() == ProviderKind::Demo && self.replay.is_none(),
        }
    }

    /// The persona called `name`: one of the configured team (any case), or a new member.
    pub fn persona(&self, name: &str) -> Persona {
        self.personas
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .cloned()
            .unwrap_or_else(|| Persona::named(name))
    }

    /// The backend to use (a replay, or the configured backend, recorded when asked), and a
    /// note for the user about it.
    pub fn provider(&self) -> Result<(Arc<dyn Provider>, Option<String>), ProviderError> {
        if let Some(path) = &self.replay {
            let replay = Replay::open(path)?;
            let note = replay.recording().torn_tail.then(|| {
                format!(
                    "replaying {}: its last call was cut short and is left out",
                    path.display()
                )
            });
            return Ok((Arc::new(replay), note));
        }
        let (backend, note) = self.backend()?;
        let Some(path) = &self.record else {
            return Ok((backend, note.map(str::to_owned)));
        };
        let secrets = self
            .api_key
            .iter()
            .chain(&self.openai_key)
            .map(|k| k.expose().to_owned())
            .collect();
        let recorder = Recorder::open(backend, path, secrets)?;
        let appending = (recorder.earlier_calls > 0).then(|| {
            format!(
                "recording: appending to {} ({} model calls already there)",
                path.display(),
                recorder.earlier_calls
            )
        });
        let note = match (note, appending) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.map(str::to_owned).or(b),
        };
        Ok((Arc::new(recorder), note))
    }

    /// The Bedrock backend as configured.
    #[cfg(feature = "bedrock")]
    pub fn bedrock(&self) -> Result<Arc<dyn Provider>, ProviderError> {
        Ok(Arc::new(self.bedrock_backend()?))
    }

    /// The Bedrock backend itself (doctor lists its models).
    #[cfg(feature = "bedrock")]
    pub fn bedrock_backend(&self) -> Result<crate::provider::bedrock::Bedrock, ProviderError> {
        let mut config = crate::provider::bedrock::BedrockConfig::new(self.model.clone());
        config.region.clone_from(&self.aws_region);
        config.profile.clone_from(&self.aws_profile);
        config.idle_timeout = Duration::from_secs(self.idle_timeout);
        crate::provider::bedrock::Bedrock::new(config)
    }

    /// Without the `bedrock` feature there is no Bedrock backend.
    #[cfg(not(feature = "bedrock"))]
    pub fn bedrock(&self) -> Result<Arc<dyn Provider>, ProviderError> {
        Err(ProviderError::Setup(
            "this memdeck was built without Bedrock; build it with the default features \
             (cargo build --release)"
                .to_owned(),
        ))
    }

    /// The OpenAI-compatible backend as configured.
    pub fn openai(&self) -> Result<crate::provider::openai::OpenAi, ProviderError> {
        let mut config = crate::provider::openai::OpenAiConfig::new(self.base_url.clone());
        config.api_key = self.openai_key.as_ref().map(|k| k.expose().to_owned());
        config.model = Some(self.model.clone()).filter(|m| !m.is_empty());
        config.idle_timeout = Duration::from_secs(self.idle_timeout);
        crate::provider::openai::OpenAi::new(config)
    }

    /// The configured backend, and a note when it was chosen for the user.
    fn backend(&self) -> Result<(Arc<dyn Provider>, Option<&'static str>), ProviderError> {
        let kind = match self.provider {
            Some(kind) => kind,
            None if self.api_key.is_none() => {
                let note = "no ANTHROPIC_API_KEY set: using the demo model (offline)";
                return Ok((self.demo(), Some(note)));
            }
            None => ProviderKind::Anthropic,
        };
        match kind {
            ProviderKind::Demo => Ok((self.demo(), None)),
            ProviderKind::Anthropic => Ok((Arc::new(self.anthropic()?), None)),
            ProviderKind::OpenAi => Ok((Arc::new(self.openai()?), None)),
            ProviderKind::Bedrock => Ok((self.bedrock()?, None)),
        }
    }

    /// The Anthropic backend as configured (an error when there is no key).
    pub fn anthropic(&self) -> Result<Anthropic, ProviderError> {
        let key = self.api_key.as_ref().map_or("", Secret::expose);
        let mut config = AnthropicConfig::new(key.to_owned());
        config.base_url.clone_from(&self.base_url);
        config.model.clone_from(&self.model);
        config.version.clone_from(&self.api_version);
        config.idle_timeout = Duration::from_secs(self.idle_timeout);
        Anthropic::new(config)
    }

    /// The backend that answers: the configured one, or the demo model when none is
    /// configured and there is no key.
    pub fn provider_kind(&self) -> ProviderKind {
        match self.provider {
            Some(kind) => kind,
            None if self.api_key.is_none() => ProviderKind::Demo,
            None => ProviderKind::Anthropic,
        }
    }

    /// The model extraction asks: the configured one, else a cheap Claude on the Anthropic
    /// API, else the chat's model.
    pub fn extraction_model(&self) -> Option<String> {
        self.extract_model.clone().or_else(|| {
            (self.provider_kind() == ProviderKind::Anthropic)
                .then(|| crate::chat::extract::CHEAP_MODEL.to_owned())
        })
    }

    fn demo(&self) -> Arc<dyn Provider> {
        Arc::new(Demo {
            tokens_per_second: self.demo_speed,
        })
    }
}
