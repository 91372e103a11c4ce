import { dirname, join } from 'node:path'

/** The case database's file name inside the data folder. */
export const DATABASE_FILE = 'cxr-lens.sqlite'

/**
 * Every path under a data folder, in one place. Where the folder itself is (flag, environment, the
 * user data folder, a site policy) is decided elsewhere (dataDir.ts) and passed in as `root`; no
 * other module joins a name onto the data folder, so moving or renaming anything here is local.
 */
export class DataFolder {
  constructor(readonly root: string) {}

  /** The folder holding a database file (a backup service or store knows only its file). */
  static ofDatabase(databaseFile: string): DataFolder {
    return new DataFolder(dirname(databaseFile))
  }

  /** the case database (SQLite, WAL beside it) */
  get database(): string {
    return join(this.root, DATABASE_FILE)
  }
  /** scheduled, pre-migration, pre-restore and manual snapshots */
  get backups(): string {
    return join(this.root, 'backups')
  }
  /** held while one process takes the daily snapshot, so processes opening the folder together take one */
  get backupRotationLock(): string {
    return join(this.backups, '.rotation.lock')
  }
  /** imported and fine-tuned model versions */
  get models(): string {
    return join(this.root, 'models')
  }
  /** fine-tuning checkpoints, one per configuration */
  get checkpoints(): string {
    return join(this.root, 'training')
  }
  /** activations kept for fine-tuning the last block; safe to delete */
  get cache(): string {
    return join(this.root, 'cache')
  }
  /** display-sized copies of large images, one per image hash (cases/displayRendition.ts); safe to delete */
  get displayRenditions(): string {
    return join(this.cache, 'display')
  }
  /** the default model's resampled input of each imported image, by image hash (cases/modelInputCache.ts); safe to delete */
  get modelInputs(): string {
    return join(this.cache, 'model-input')
  }
  /** images derived from DICOM files on import */
  get images(): string {
    return join(this.root, 'images')
  }
  /** one file per process that has the database open (store/dbHolders.ts) */
  get holders(): string {
    return join(this.root, 'holders')
  }
  /** taken while a restore swaps the database file */
  get restoreLock(): string {
    return join(this.root, 'restore.lock')
  }
  /** the site's key for DICOM pseudonyms */
  get pseudonymKey(): string {
    return join(this.root, 'pseudonym.key')
  }
  /** the key of this installation's local vault (PACS secrets, original DICOM UIDs); made on first use */
  get vaultKey(): string {
    return join(this.root, 'vault.key')
  }
  /** the re-identification setting (the officer's public key); absent means off */
  get reidentificationConfig(): string {
    return join(this.root, 'reidentification.json')
  }
  /** re-identification records sealed to the officer's key */
  get reidentificationSealed(): string {
    return join(this.root, 'reidentification.sealed')
  }
  /** the plaintext table of CXR Lens before 0.2 (never written; sealed or reported when found) */
  get legacyReidentification(): string {
    return join(this.root, 'reidentification.sqlite')
  }
  /** execution providers that failed on a machine for want of a device (model/providerMemory.ts) */
  get providerFailures(): string {
    return join(this.root, 'provider-failures.json')
  }
  /** the installation's rotating log */
  get logs(): string {
    return join(this.root, 'logs')
  }

  /** A fine-tuning checkpoint of one model and configuration hash. */
  checkpoint(modelId: string, configHash: string): string {
    return join(this.checkpoints, `${modelId}-${configHash.slice(0, 16)}.ckpt`)
  }
}
