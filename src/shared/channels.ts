/**
 * Channel and event names, free of any schema library so the sandboxed preload can bundle them
 * without pulling zod in. contract.ts maps each of these to its schemas and checks that none is missing.
 */
export const CHANNELS = [
  'app:info',
  'cases:list',
  'cases:get',
  'cases:image',
  'cases:thumbnail',
  'cases:findings',
  'import:start',
  'import:dicom',
  'jobs:get',
  'jobs:cancel',
  'dialog:open',
  'models:list',
  'models:import',
  'analysis:start',
  'training:start',
  'analysis:predictions',
  'heatmaps:get',
  'heatmaps:byId',
  'heatmaps:versions',
  'heatmaps:saveEdit',
  'readers:list',
  'readers:create',
  'readers:login',
  'readers:logout',
  'readers:setRole',
  'boxes:create',
  'boxes:update',
  'boxes:delete',
  'boxes:restore',
  'cases:setStatus',
  'validation:dashboard',
  'validation:export',
  'backups:list',
  'backups:restore',
  'diagnostics:export',
  'background:status',
  'background:focus',
  'background:enqueue',
  'background:pause',
  'background:cancel',
  'sample:import',
  'pacs:list',
  'pacs:add',
  'pacs:remove',
  'pacs:test',
  'pacs:query',
  'pacs:pull',
  'pacs:push',
  'pacs:pushTargets',
] as const

export type Channel = (typeof CHANNELS)[number]

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && (CHANNELS as readonly string[]).includes(value)
}

export const EVENT_NAMES = ['job:progress', 'job:finished', 'background:status', 'background:results'] as const
export type EventName = (typeof EVENT_NAMES)[number]
