// Package pgutil holds what the PostgreSQL stores (chat/pgstore and
// games/pgstore) do alike: opening a pool bound to a schema, applying
// embedded numbered migrations under an advisory lock, telling an
// unreachable database from other errors, retrying a call once after a
// lost connection, and the random write ids that tell a retried write's
// own row from another writer's.
//
// It returns plain errors and reports: each store keeps its own exported
// sentinels and maps onto them.
package pgutil
