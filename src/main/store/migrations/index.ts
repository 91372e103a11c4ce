import { migration001 } from './001_initial'
import { migration002 } from './002_readers'
import { migration003 } from './003_dicom'
import { migration004 } from './004_feature_cache'
import { migration005 } from './005_reader_secrets'
import { migration006 } from './006_analysis_queue'
import { migration007 } from './007_pacs_connections'
import { migration008 } from './008_case_sources'
import { migration009 } from './009_ood'

/**
 * Numbered migrations: entry i brings the schema from version i to i + 1 (recorded in
 * PRAGMA user_version). Append only: never edit one that has shipped.
 */
export const MIGRATIONS: readonly string[] = [
  migration001,
  migration002,
  migration003,
  migration004,
  migration005,
  migration006,
  migration007,
  migration008,
  migration009,
]

export const SCHEMA_VERSION = MIGRATIONS.length
