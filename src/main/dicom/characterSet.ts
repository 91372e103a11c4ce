import type dicomParser from 'dicom-parser'
import { TextDecoder } from 'node:util'

/**
 * Specific Character Set (0008,0005) defined terms → WHATWG encoding labels (PS3.3 C.12.1.1.2,
 * PS3.5 6.1). dicom-parser's `string()` reads every byte as Latin-1, which turns a UTF-8 "ÅSTRÖM"
 * into "Ã\u0085STRÃ\u0096M": identity fields (person names, IDs) must be decoded by the declared set
 * so the re-identification record holds what the file says. Code extension (ISO 2022 escape
 * sequences) is rare in chest radiography; its first set is used.
 */
const ENCODINGS: Record<string, string> = {
  'ISO_IR 6': 'windows-1252', // ASCII; WHATWG reads it as windows-1252, identical on 0x00-0x7F
  'ISO_IR 100': 'iso-8859-1',
  'ISO_IR 101': 'iso-8859-2',
  'ISO_IR 109': 'iso-8859-3',
  'ISO_IR 110': 'iso-8859-4',
  'ISO_IR 144': 'iso-8859-5',
  'ISO_IR 127': 'iso-8859-6',
  'ISO_IR 126': 'iso-8859-7',
  'ISO_IR 138': 'iso-8859-8',
  'ISO_IR 148': 'windows-1254',
  'ISO_IR 203': 'iso-8859-15',
  'ISO_IR 166': 'windows-874',
  'ISO_IR 13': 'shift_jis',
  'ISO_IR 192': 'utf-8',
  GB18030: 'gb18030',
  GBK: 'gbk',
}

/** The decoder for a data set's declared character set (the default repertoire when none or unknown). */
export function characterSetDecoder(ds: dicomParser.DataSet): TextDecoder {
  const declared = (ds.string('x00080005') ?? '')
    .split('\\')
    .map((term) => term.trim().replace(/^ISO 2022 /, 'ISO_'))
    .find((term) => term.length > 0)
  const label = (declared && ENCODINGS[declared.replace(/^ISO_IR(\d)/, 'ISO_IR $1')]) ?? 'windows-1252'
  return new TextDecoder(label)
}

/** A text element decoded by the declared character set, trimmed of DICOM's space padding; null when absent or empty. */
export function decodedText(ds: dicomParser.DataSet, tag: string, decoder: TextDecoder): string | null {
  const element = ds.elements[tag]
  if (!element || element.length === 0) return null
  const bytes = ds.byteArray.subarray(element.dataOffset, element.dataOffset + element.length)
  return (
    decoder
      .decode(bytes)
      .replace(/[\0 ]+$/, '')
      .trim() || null
  )
}
