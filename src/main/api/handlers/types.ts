import type { Channel } from '../../../shared/channels'
import type { Handlers } from '../dispatch'

/** The handlers of the channels named `domain:…`: each file of this folder answers one domain. */
export type HandlersOf<C extends Channel> = Pick<Handlers, C>

/** Native file pickers exist only in the desktop shell; browser mode has none. */
export type PickPath = (kind: 'directory' | 'file', title: string) => Promise<string | null>
