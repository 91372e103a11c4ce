export declare const ORTHANC_BINARY: string
export declare const DICOMWEB_PLUGIN: string
export declare function freePort(): Promise<number>
export declare function orthancConfig(options: { dir: string; httpPort: number; user: string; password: string }): Record<string, unknown>
export interface RunningOrthanc {
  url: string
  dicomWebUrl: string
  user: string
  password: string
  dir: string
  stop(): Promise<void>
  upload(bytes: Uint8Array): Promise<{ ID: string; Status: string }>
  rest(path: string, init?: RequestInit): Promise<Response>
  /** how many ports the start took: more than 1 when a picked port was taken before Orthanc bound it */
  portTries: number
}
export declare function startOrthanc(options?: {
  user?: string
  password?: string
  pickPort?: () => Promise<number>
}): Promise<RunningOrthanc>
