import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CsvError, parseCsv } from '../../src/main/cases/csv'
import { readNihBoxes, readNihLabels } from '../../src/main/cases/nihCsv'
import { tempDir } from './helpers'

const dir = tempDir()
afterAll(dir.cleanup)

function file(name: string, text: string): string {
  const path = join(dir.path, name)
  writeFileSync(path, text)
  return path
}

describe('parseCsv', () => {
  it('reads quotes, doubled quotes, CRLF and a BOM', () => {
    const records = parseCsv('\ufeffa,b\r\n"x, y","say ""hi"""\r\n\r\n3,4', 't.csv')
    expect(records.map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['3', '4'],
    ])
    expect(records[2].line).toBe(4)
  })

  it('names the file and line of an unclosed quote', () => {
    expect(() => parseCsv('a,b\n1,"oops\n2,3', 'bad.csv')).toThrow(new CsvError('bad.csv', 2, 'a quoted field is never closed'))
  })

  it('refuses binary data', () => {
    expect(() => parseCsv('a,b\n\0\0', 'img.csv')).toThrow(/img.csv, line 2: contains a NUL byte/)
  })
})

describe('NIH label and box CSVs', () => {
  it('reads the NIH Data_Entry header with its bracketed commas and trailing comma', () => {
    const path = file(
      'Data_Entry_2017.csv',
      'Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],\r\n' +
        '00000001_000.png,Cardiomegaly|Emphysema,0,1,058Y,M,PA,2682,2749,0.143,0.143\r\n' +
        '00000002_000.png,No Finding,1,2,81,F,AP,2500,2048,0.171,0.171\r\n',
    )
    const { rows, rejected } = readNihLabels(path)
    expect(rejected).toEqual([])
    expect(rows[0]).toEqual({
      image: '00000001_000.png',
      findings: ['Cardiomegaly', 'Emphysema'],
      followUp: 0,
      patientId: '1',
      age: 58,
      sex: 'M',
      view: 'PA',
      originalWidth: 2682,
      originalHeight: 2749,
      pixelSpacingX: 0.143,
      pixelSpacingY: 0.143,
    })
    expect(rows[1].findings).toEqual(['No Finding'])
  })

  it('rejects a file without the required columns, naming the file and the columns', () => {
    const path = file('wrong.csv', 'name,label\na.png,Mass\n')
    expect(() => readNihLabels(path)).toThrow(/wrong.csv, line 1: missing columns "Image Index", "Finding Labels"/)
  })

  it('reports an unknown finding by file, line and image, and keeps the other rows', () => {
    const path = file('labels.csv', 'Image Index,Finding Labels\na.png,Mass\nb.png,Broken Leg\n')
    const { rows, rejected } = readNihLabels(path)
    expect(rows.map((r) => r.image)).toEqual(['a.png'])
    expect(rejected).toEqual([{ name: 'labels.csv:3 (b.png)', reason: 'unknown finding "Broken Leg"' }])
  })

  it('reads both NIH box headers and maps Infiltrate to Infiltration', () => {
    const dev = file('dev.csv', 'Image Index,Finding Label,x,y,w,h\na.png,Infiltrate,1.5,2,30,40\nb.png,Mass,1,2,-3,4\n')
    const nih = file('nih.csv', 'Image Index,Finding Label,Bbox [x,y,w,h],,,\na.png,Mass,10,20,30,40,,,\n')
    const devParsed = readNihBoxes(dev)
    expect(devParsed.rows).toEqual([{ image: 'a.png', finding: 'Infiltration', x: 1.5, y: 2, w: 30, h: 40 }])
    expect(devParsed.rejected[0]).toMatchObject({ name: 'dev.csv:3 (b.png)' })
    expect(readNihBoxes(nih).rows).toEqual([{ image: 'a.png', finding: 'Mass', x: 10, y: 20, w: 30, h: 40 }])
  })

  it('names a file that cannot be read', () => {
    expect(() => readNihLabels(join(dir.path, 'nope.csv'))).toThrow(/Cannot read .*nope.csv: does not exist .*\(ENOENT\)/)
  })
})
