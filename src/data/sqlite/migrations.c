/*
 * migrations.c — SQLite schema history (see migrations.h).
 *
 * Times are INTEGER milliseconds since the epoch (UTC). Conversation ids are
 * random 128-bit hex strings, unguessable so they can be handed to browsers.
 */
#include "migrations.h"

const struct kf_migration kf_sqlite_migrations[] = {
    {1, "core tables: channels, customers, identities, conversations, messages, handoffs",
     "CREATE TABLE channels (\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  name TEXT NOT NULL UNIQUE,\n"
     "  kind TEXT NOT NULL,\n"
     "  created_at INTEGER NOT NULL\n"
     ");\n"
     "INSERT INTO channels (name, kind, created_at) VALUES\n"
     "  ('web', 'widget', 0), ('api', 'rest', 0), ('rest', 'rasa-rest', 0), ('cli', 'terminal', 0);\n"
     "CREATE TABLE customers (\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  name TEXT,\n"
     "  created_at INTEGER NOT NULL\n"
     ");\n"
     "CREATE TABLE customer_identities (\n"
     "  customer_id INTEGER NOT NULL REFERENCES customers(id),\n"
     "  channel_id INTEGER NOT NULL REFERENCES channels(id),\n"
     "  external_id TEXT NOT NULL,\n"
     "  created_at INTEGER NOT NULL,\n"
     "  PRIMARY KEY (channel_id, external_id)\n"
     ");\n"
     "CREATE INDEX customer_identities_customer ON customer_identities(customer_id);\n"
     "CREATE TABLE conversations (\n"
     "  id TEXT PRIMARY KEY,\n"
     "  customer_id INTEGER NOT NULL REFERENCES customers(id),\n"
     "  channel_id INTEGER NOT NULL REFERENCES channels(id),\n"
     "  lang TEXT NOT NULL,\n"
     "  status TEXT NOT NULL CHECK (status IN ('open', 'handoff', 'closed')),\n"
     "  created_at INTEGER NOT NULL,\n"
     "  updated_at INTEGER NOT NULL\n"
     ");\n"
     "CREATE INDEX conversations_customer ON conversations(customer_id, channel_id, updated_at);\n"
     "CREATE TABLE messages (\n"
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
     "  conversation_id TEXT NOT NULL REFERENCES conversations(id),\n"
     "  role TEXT NOT NULL CHECK (role IN ('customer', 'bot', 'agent', 'system')),\n"
     "  text TEXT NOT NULL,\n"
     "  lang TEXT NOT NULL,\n"
     "  kind TEXT NOT NULL DEFAULT '',\n"
     "  meta TEXT,\n"
     "  created_at INTEGER NOT NULL\n"
     ");\n"
     "CREATE INDEX messages_conversation ON messages(conversation_id, id);\n"
     "CREATE TABLE handoff_requests (\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  conversation_id TEXT NOT NULL REFERENCES conversations(id),\n"
     "  message_id INTEGER REFERENCES messages(id),\n"
     "  reason TEXT NOT NULL,\n"
     "  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'taken', 'done')),\n"
     "  created_at INTEGER NOT NULL\n"
     ");\n"
     "CREATE INDEX handoff_requests_status ON handoff_requests(status, created_at);\n"},
    /* Issue 4 (O5): raw PII leaves messages.text masked; the raw value is
     * kept only sealed (crypto_secretbox) here, next to where its masked
     * form sits in the message text, for permitted readers. */
    {2, "pii_vault: sealed raw values of masked personal data",
     "CREATE TABLE pii_vault (\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  message_id INTEGER NOT NULL REFERENCES messages(id),\n"
     "  type TEXT NOT NULL\n"
     "    CHECK (type IN ('id_card', 'bank_card', 'phone', 'email', 'address')),\n"
     "  start INTEGER NOT NULL CHECK (start >= 0),\n"
     "  \"end\" INTEGER NOT NULL CHECK (\"end\" >= start),\n"
     "  nonce BLOB NOT NULL,\n"
     "  ciphertext BLOB NOT NULL,\n"
     "  key_id TEXT NOT NULL,\n"
     "  created_at INTEGER NOT NULL\n"
     ");\n"
     "CREATE INDEX pii_vault_message ON pii_vault(message_id, start);\n"},
};

const size_t kf_sqlite_migrations_len = sizeof kf_sqlite_migrations / sizeof kf_sqlite_migrations[0];
