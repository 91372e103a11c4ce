/**
 * The one IPC contract: every channel (`domain:verb`) with the schema its request must satisfy and
 * the type of its response. Main validates requests against these schemas at the boundary; preload
 * and the browser transport build `window.api` from the same map, so all three stay in step.
 */
import { z } from 'zod'
import type { Channel, EventName } from './channels'
import { CASE_STATUSES, READER_ROLES } from './domain'
import { EXPLAIN_METHODS } from './explainMethods'
import type { BackgroundRequest, BackgroundResults, BackgroundStatus } from './background'
import type { PacsPushedCase, PacsPushTargets } from './pacsPush'
import { jobMap, modelIdSchema, modelVersionSchema, type JobStatus } from './jobs'
import type { PacsConnectionInfo, PacsTestResult, StudyMatch } from './pacs'
import { pacsAddSchema, pacsNameSchema, studyQuerySchema } from './pacsSchemas'
import type {
  DiagnosticsResult,
  AppInfo,
  BackupInfo,
  Box,
  DashboardData,
  HeatmapVersion,
  Reader,
  CasePredictions,
  CaseStatus,
  HeatmapData,
  ModelSummary,
  CaseDetail,
  FindingCount,
  ImageBytes,
  JobProgress,
  RestoreResult,
  WorklistPage,
} from './domain'

/** Phantom marker: carries a response type without any runtime value. */
function returns<T>(): T {
  return undefined as T
}

const caseId = z.object({ caseId: z.number().int().positive() }).strict()
const jobId = z.object({ jobId: z.string().min(1).max(64) }).strict()
const absolutePath = z.string().min(1).max(4096)
const modelId = modelIdSchema
const readerId = z.number().int().positive()
/**
 * Most cells a heatmap edit may carry: 256 × 256, the feature map of a 4096² input (the largest a
 * manifest allows) at stride 16 (the bundled model's; its maps are 12 × 12, occlusion and SHAP
 * grids default to 8 × 8). Sized so the largest edit fits one browser-mode message
 * (MAX_MESSAGE_BYTES; tests/unit/webFuzz.test.ts holds the two together).
 */
export const MAX_HEATMAP_CELLS = 256 * 256
const readerName = z.string().trim().min(1).max(80)
/** Length limits only: the strength rule (and its message) lives in one place, src/main/readers/secretHash.ts. */
const secret = z.string().min(1).max(1024)
const pixels = z.number().finite().min(-1e5).max(1e5)
const boxDraft = z
  .object({
    finding: z.string().min(1).max(64),
    x: pixels,
    y: pixels,
    w: z.number().finite().positive().max(1e5),
    h: z.number().finite().positive().max(1e5),
  })
  .strict()
const dashboardQuery = z
  .object({
    model: modelId.optional(),
    version: modelVersionSchema.optional(),
    method: z.enum(EXPLAIN_METHODS),
    finding: z.string().min(1).max(64).optional(),
    readerId: readerId.optional(),
  })
  .strict()

export const worklistQuerySchema = z
  .object({
    readerId: z.number().int().positive().optional(),
    finding: z.string().min(1).max(64).optional(),
    hasBoxes: z.boolean().optional(),
    status: z.enum(CASE_STATUSES as [CaseStatus, ...CaseStatus[]]).optional(),
    search: z.string().max(128).optional(),
    sort: z.enum(['image', 'imported', 'age', 'status', 'boxes']).optional(),
    order: z.enum(['asc', 'desc']).optional(),
    offset: z.number().int().min(0).max(10_000_000).optional(),
    limit: z.number().int().min(1).max(500).optional(),
  })
  .strict()

export const contract = {
  'app:info': { request: z.object({}).strict(), response: returns<AppInfo>() },
  'cases:list': { request: worklistQuerySchema, response: returns<WorklistPage>() },
  'cases:get': {
    request: z.object({ caseId: z.number().int().positive(), readerId: z.number().int().positive().optional() }).strict(),
    response: returns<CaseDetail>(),
  },
  // rendition 'display': a large image's display-sized copy (the original when it is small enough); absent or 'full': the stored file's bytes.
  'cases:image': {
    request: z.object({ caseId: z.number().int().positive(), rendition: z.enum(['full', 'display']).optional() }).strict(),
    response: returns<ImageBytes>(),
  },
  'cases:thumbnail': { request: caseId, response: returns<ImageBytes>() },
  'cases:findings': { request: z.object({}).strict(), response: returns<FindingCount[]>() },
  // Job requests are the job map's schemas (src/shared/jobs.ts): the CLI reaches the same options.
  'import:start': { request: jobMap.import.request, response: returns<{ jobId: string }>() },
  'import:dicom': { request: jobMap.importDicom.request, response: returns<{ jobId: string }>() },
  'jobs:get': { request: jobId, response: returns<JobStatus>() },
  'jobs:cancel': { request: jobId, response: returns<{ cancelled: boolean }>() },
  'dialog:open': {
    request: z.object({ kind: z.enum(['directory', 'file']), title: z.string().max(200) }).strict(),
    response: returns<{ path: string | null }>(),
  },
  'models:list': { request: z.object({}).strict(), response: returns<ModelSummary[]>() },
  'models:import': { request: z.object({ dir: absolutePath }).strict(), response: returns<ModelSummary>() },
  'analysis:start': { request: jobMap.analyze.request, response: returns<{ jobId: string }>() },
  'training:start': { request: jobMap.train.request, response: returns<{ jobId: string }>() },
  'analysis:predictions': {
    request: z.object({ caseId: z.number().int().positive(), model: modelId.optional(), version: modelVersionSchema.optional() }).strict(),
    response: returns<CasePredictions>(),
  },
  'heatmaps:get': {
    request: z
      .object({
        caseId: z.number().int().positive(),
        model: modelId,
        version: modelVersionSchema,
        finding: z.string().min(1).max(64),
        method: z.enum(EXPLAIN_METHODS),
      })
      .strict(),
    response: returns<HeatmapData | null>(),
  },
  'heatmaps:byId': { request: z.object({ id: z.number().int().positive() }).strict(), response: returns<HeatmapData | null>() },
  'heatmaps:versions': { request: z.object({ id: z.number().int().positive() }).strict(), response: returns<HeatmapVersion[]>() },
  'heatmaps:saveEdit': {
    request: z
      .object({ baseId: z.number().int().positive(), readerId, values: z.array(z.number().finite()).min(1).max(MAX_HEATMAP_CELLS) })
      .strict(),
    response: returns<HeatmapData>(),
  },
  'readers:list': { request: z.object({}).strict(), response: returns<Reader[]>() },
  'readers:create': {
    // Without an administrator logged in, only a radiologist with a secret (self-enrolment; the
    // connection is then logged in as that reader). See src/main/readers/readerAccounts.ts.
    request: z
      .object({ name: readerName, role: z.enum(READER_ROLES), secret: secret.optional(), administrator: z.boolean().optional() })
      .strict(),
    response: returns<Reader>(),
  },
  'readers:login': { request: z.object({ readerId, secret }).strict(), response: returns<Reader>() },
  'readers:logout': { request: z.object({}).strict(), response: returns<{ loggedOut: true }>() },
  'readers:setRole': {
    // `id` is the reader changed; the administrator making the change comes from the session.
    request: z.object({ id: readerId, role: z.enum(READER_ROLES), administrator: z.boolean().optional() }).strict(),
    response: returns<Reader>(),
  },
  'boxes:create': {
    request: z.object({ caseId: z.number().int().positive(), readerId, box: boxDraft }).strict(),
    response: returns<Box>(),
  },
  'boxes:update': { request: z.object({ boxId: z.number().int().positive(), readerId, box: boxDraft }).strict(), response: returns<Box>() },
  'boxes:delete': { request: z.object({ boxId: z.number().int().positive(), readerId }).strict(), response: returns<{ deleted: true }>() },
  'boxes:restore': { request: z.object({ boxId: z.number().int().positive(), readerId }).strict(), response: returns<Box>() },
  'cases:setStatus': {
    request: z
      .object({ caseId: z.number().int().positive(), readerId, status: z.enum(CASE_STATUSES as [CaseStatus, ...CaseStatus[]]) })
      .strict(),
    response: returns<{ status: CaseStatus }>(),
  },
  'validation:dashboard': { request: dashboardQuery, response: returns<DashboardData>() },
  'validation:export': {
    request: dashboardQuery.extend({ format: z.enum(['csv', 'html', 'pdf']) }).strict(),
    // a PDF is bytes (printed by the app's own renderer, or browser mode's local Chromium)
    response: returns<{ filename: string; mime: string; content: string | Uint8Array }>(),
  },
  'backups:list': { request: z.object({}).strict(), response: returns<BackupInfo[]>() },
  'backups:restore': {
    // A file name inside the data folder's backups/, never a path: the UI cannot restore arbitrary files.
    request: z
      .object({
        name: z
          .string()
          .max(255)
          .regex(/^[\w.-]+\.sqlite$/, 'a backup file name ending in .sqlite'),
      })
      .strict(),
    response: returns<RestoreResult>(),
  },
  // Written into the data folder's diagnostics/ (a bundle of logs can pass a message's 1 MiB); the path comes back.
  'diagnostics:export': { request: z.object({}).strict(), response: returns<DiagnosticsResult>() },
  'background:status': { request: z.object({}).strict(), response: returns<BackgroundStatus>() },
  // The case the reader has open (null: none); the background queue analyses it first.
  'background:focus': {
    request: z.object({ caseId: z.number().int().positive().nullable() }).strict(),
    response: returns<{ caseId: number | null }>(),
  },
  // "Analyse all / selected / filtered cases": one request, the server resolves the cases and queues them.
  'background:enqueue': {
    request: z
      .object({
        scope: z.discriminatedUnion('kind', [
          z.object({ kind: z.literal('all') }).strict(),
          // As analysis:start: 100,000 ids fit one message.
          z.object({ kind: z.literal('cases'), caseIds: z.array(z.number().int().positive()).min(1).max(100_000) }).strict(),
          z.object({ kind: z.literal('filter'), filter: worklistQuerySchema }).strict(),
        ]),
        model: modelId.optional(),
        version: z.string().min(1).max(64).optional(),
        method: z.enum(EXPLAIN_METHODS).optional(),
      })
      .strict() satisfies z.ZodType<BackgroundRequest>,
    response: returns<{ queued: number }>(),
  },
  'background:pause': { request: z.object({ paused: z.boolean() }).strict(), response: returns<BackgroundStatus>() },
  'background:cancel': { request: z.object({}).strict(), response: returns<{ cancelled: number }>() },
  // The bundled first-run sample through the normal NIH import (a job like import:start).
  'sample:import': { request: z.object({}).strict(), response: returns<{ jobId: string }>() },
  // PACS (DICOMweb): connections never carry their secret back; found studies are shown, not stored.
  'pacs:list': { request: z.object({}).strict(), response: returns<PacsConnectionInfo[]>() },
  'pacs:add': { request: pacsAddSchema, response: returns<PacsConnectionInfo>() },
  'pacs:remove': { request: z.object({ name: pacsNameSchema }).strict(), response: returns<{ removed: true }>() },
  'pacs:test': { request: z.object({ name: pacsNameSchema }).strict(), response: returns<PacsTestResult>() },
  'pacs:query': {
    request: z.object({ name: pacsNameSchema, query: studyQuerySchema }).strict(),
    response: returns<{ pacs: string; studies: StudyMatch[] }>(),
  },
  // A job like import:dicom (followed and cancelled through jobs:get / jobs:cancel).
  'pacs:pull': { request: jobMap.pacsPull.request, response: returns<{ jobId: string }>() },
  // One case's SR (and heatmap) into its original study on a configured PACS, sent as the logged-in reader.
  'pacs:push': {
    request: z
      .object({ caseId: z.number().int().positive(), pacs: z.string().trim().min(1).max(64), withModel: z.boolean().optional() })
      .strict(),
    response: returns<PacsPushedCase>(),
  },
  'pacs:pushTargets': { request: z.object({}).strict(), response: returns<PacsPushTargets>() },
} as const satisfies Record<Channel, { request: z.ZodType; response: unknown }>

export type Contract = typeof contract
export type RequestOf<C extends Channel> = z.input<Contract[C]['request']>
export type ResponseOf<C extends Channel> = Contract[C]['response']
export type { Channel, EventName }

/** Events pushed from main to the renderer (never requests). */
export interface EventMap extends Record<EventName, unknown> {
  'job:progress': JobProgress
  'job:finished': JobStatus
  'background:status': BackgroundStatus
  'background:results': BackgroundResults
}

/** What crosses the transport: a typed error instead of a thrown exception. */
export type ErrorCode = 'invalid_request' | 'unknown_channel' | 'not_found' | 'forbidden' | 'failed'
export interface ApiErrorBody {
  code: ErrorCode
  message: string
  issues?: string[]
}
export type Envelope<T> = { ok: true; data: T } | { ok: false; error: ApiErrorBody }
