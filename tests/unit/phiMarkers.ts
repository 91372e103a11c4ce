/**
 * A DICOM CR/DX file whose every identifying attribute carries its own marker string, for the
 * PHI-at-rest test. The attributes are those of the DICOM PS3.15 Basic Application Level
 * Confidentiality Profile (Table E.1-1) that a CR/DX image can carry, plus private tags, nested
 * sequences and free text in coded attributes. Each marker names its attribute in the report of a leak.
 */
import type { DicomElement, DicomItem } from '../../src/main/interchange/dicomDataset'

export interface Marker {
  /** where it was planted, e.g. "ReferencedStudySequence > PatientName" */
  where: string
  value: string
  /** a coded attribute (sex, view): the code-set mapping must drop free text */
  coded?: boolean
}

type Vr = 'AE' | 'CS' | 'DA' | 'DS' | 'DT' | 'LO' | 'LT' | 'PN' | 'SH' | 'ST' | 'TM' | 'UI' | 'UT'

/** The profile's attributes a CR/DX file can carry: tag, VR, keyword. */
export const PROFILE_ATTRIBUTES: Array<[number, Vr, string]> = [
  // dates and times
  [0x00080012, 'DA', 'InstanceCreationDate'],
  [0x00080013, 'TM', 'InstanceCreationTime'],
  [0x00080020, 'DA', 'StudyDate'],
  [0x00080021, 'DA', 'SeriesDate'],
  [0x00080022, 'DA', 'AcquisitionDate'],
  [0x00080023, 'DA', 'ContentDate'],
  [0x0008002a, 'DT', 'AcquisitionDateTime'],
  [0x00080030, 'TM', 'StudyTime'],
  [0x00080031, 'TM', 'SeriesTime'],
  [0x00080032, 'TM', 'AcquisitionTime'],
  [0x00080033, 'TM', 'ContentTime'],
  [0x00100030, 'DA', 'PatientBirthDate'],
  [0x00100032, 'TM', 'PatientBirthTime'],
  [0x00181012, 'DA', 'DateOfSecondaryCapture'],
  [0x00181200, 'DA', 'DateOfLastCalibration'],
  [0x00181201, 'TM', 'TimeOfLastCalibration'],
  [0x0018700c, 'DA', 'DateOfLastDetectorCalibration'],
  [0x00400244, 'DA', 'PerformedProcedureStepStartDate'],
  [0x00400245, 'TM', 'PerformedProcedureStepStartTime'],
  [0x00400250, 'DA', 'PerformedProcedureStepEndDate'],
  // UIDs
  [0x00080014, 'UI', 'InstanceCreatorUID'],
  [0x00080018, 'UI', 'SOPInstanceUID'],
  [0x0020000d, 'UI', 'StudyInstanceUID'],
  [0x0020000e, 'UI', 'SeriesInstanceUID'],
  [0x00200052, 'UI', 'FrameOfReferenceUID'],
  [0x00181002, 'UI', 'DeviceUID'],
  [0x00880140, 'UI', 'StorageMediaFileSetUID'],
  [0x0040a124, 'UI', 'UID'],
  // patient
  [0x00100010, 'PN', 'PatientName'],
  [0x00100020, 'LO', 'PatientID'],
  [0x00100021, 'LO', 'IssuerOfPatientID'],
  [0x00101000, 'LO', 'OtherPatientIDs'],
  [0x00101001, 'PN', 'OtherPatientNames'],
  [0x00101005, 'PN', 'PatientBirthName'],
  [0x00101020, 'DS', 'PatientSize'],
  [0x00101030, 'DS', 'PatientWeight'],
  [0x00101040, 'LO', 'PatientAddress'],
  [0x00101060, 'PN', 'PatientMotherBirthName'],
  [0x00101090, 'LO', 'MedicalRecordLocator'],
  [0x00102000, 'LO', 'MedicalAlerts'],
  [0x00102110, 'LO', 'Allergies'],
  [0x00102154, 'SH', 'PatientTelephoneNumbers'],
  [0x00102160, 'SH', 'EthnicGroup'],
  [0x00102180, 'SH', 'Occupation'],
  [0x001021b0, 'LT', 'AdditionalPatientHistory'],
  [0x001021f0, 'LO', 'PatientReligiousPreference'],
  [0x00104000, 'LT', 'PatientComments'],
  [0x00380010, 'LO', 'AdmissionID'],
  [0x00380300, 'LO', 'CurrentPatientLocation'],
  // institution, physicians, operators
  [0x00080080, 'LO', 'InstitutionName'],
  [0x00080081, 'ST', 'InstitutionAddress'],
  [0x00081040, 'LO', 'InstitutionalDepartmentName'],
  [0x00080090, 'PN', 'ReferringPhysicianName'],
  [0x00080092, 'ST', 'ReferringPhysicianAddress'],
  [0x00080094, 'SH', 'ReferringPhysicianTelephoneNumbers'],
  [0x00081048, 'PN', 'PhysiciansOfRecord'],
  [0x00081050, 'PN', 'PerformingPhysicianName'],
  [0x00081060, 'PN', 'NameOfPhysiciansReadingStudy'],
  [0x00081070, 'PN', 'OperatorsName'],
  [0x00321032, 'PN', 'RequestingPhysician'],
  // study, order and device
  [0x00080050, 'SH', 'AccessionNumber'],
  [0x00081010, 'SH', 'StationName'],
  [0x00081030, 'LO', 'StudyDescription'],
  [0x0008103e, 'LO', 'SeriesDescription'],
  [0x00081080, 'LO', 'AdmittingDiagnosesDescription'],
  [0x00084000, 'LT', 'IdentifyingComments'],
  [0x00200010, 'SH', 'StudyID'],
  [0x00204000, 'LT', 'ImageComments'],
  [0x00321060, 'LO', 'RequestedProcedureDescription'],
  [0x00324000, 'LT', 'StudyComments'],
  [0x00400253, 'SH', 'PerformedProcedureStepID'],
  [0x00400254, 'LO', 'PerformedProcedureStepDescription'],
  [0x00401001, 'SH', 'RequestedProcedureID'],
  [0x00402016, 'LO', 'PlacerOrderNumberImagingServiceRequest'],
  [0x00402017, 'LO', 'FillerOrderNumberImagingServiceRequest'],
  [0x00181000, 'LO', 'DeviceSerialNumber'],
  [0x00181004, 'LO', 'PlateID'],
  [0x00181030, 'LO', 'ProtocolName'],
  [0x00181400, 'LO', 'AcquisitionDeviceProcessingDescription'],
  [0x0018700a, 'SH', 'DetectorID'],
]

/**
 * Distinct values per file f and counter n, in each VR's syntax. Dates use month 13 and times hour
 * 24, so no real timestamp the app writes (an SR's content date, say) can equal one by chance.
 */
function markerValue(vr: Vr, f: number, n: number): string {
  const nn = String(n).padStart(3, '0')
  switch (vr) {
    case 'DA':
      return `1${f}${nn.slice(1)}13${nn.slice(1)}`
    case 'TM':
      return `24${f}${nn}.${String(n * 7919 + f).padStart(6, '0')}`
    case 'DT':
      return `1${f}${nn.slice(1)}1324${f}${nn}.${String(n * 104729 + f).padStart(6, '0')}`
    case 'UI':
      return `1.2.826.0.1.3680043.10.999.${f}.${n}.424242`
    case 'DS':
      return `7${f}${nn}.27182818`
    default:
      return `PHIQZ${f}${nn}Z`
  }
}

export interface PlantedFile {
  /** elements for writeDicom's `extra` */
  extra: DicomItem
  markers: Marker[]
  sopInstanceUid: string
  /** the full PatientName value, as `reid open` must give it back */
  patientName: string
  patientId: string
  birthDate: string
  studyInstanceUid: string
}

/** Everything of file f: the profile's attributes, sequences, private tags and coded free text, each with a marker. */
export function plantedFile(f: number): PlantedFile {
  let n = 0
  const markers: Marker[] = []
  const mark = (where: string, vr: Vr, coded = false): string => {
    const value = markerValue(vr, f, ++n)
    markers.push({ where, value, coded })
    return value
  }
  const element = (tag: number, vr: Vr, where: string): DicomElement => {
    if (vr === 'PN') {
      // Family, given and a non-ASCII middle name, each a marker of its own (found apart from the others).
      const family = mark(`${where} (family)`, 'LO')
      const given = mark(`${where} (given)`, 'LO')
      const middle = `ÅSTRÖMQZ${f}${String(++n).padStart(3, '0')}`
      markers.push({ where: `${where} (middle, UTF-8)`, value: middle })
      return { tag, vr: 'PN', value: `${family}^${given}^${middle}` }
    }
    // LT and DT have the encoding of ST and DA (2-byte length); the writer's type only lacks their names.
    return { tag, vr: vr as 'ST', value: mark(where, vr) }
  }
  const extra: DicomItem = [{ tag: 0x00080005, vr: 'CS', value: 'ISO_IR 192' }]
  for (const [tag, vr, keyword] of PROFILE_ATTRIBUTES) extra.push(element(tag, vr, keyword))
  const referenced = (where: string): DicomItem => [
    { tag: 0x00081150, vr: 'UI', value: '1.2.840.10008.3.1.2.3.1' },
    element(0x00081155, 'UI', `${where} > ReferencedSOPInstanceUID`),
  ]
  extra.push(
    {
      tag: 0x00081110,
      vr: 'SQ',
      value: [[...referenced('ReferencedStudySequence'), element(0x00100010, 'PN', 'ReferencedStudySequence > PatientName')]],
    },
    { tag: 0x00081111, vr: 'SQ', value: [referenced('ReferencedPerformedProcedureStepSequence')] },
    { tag: 0x00081140, vr: 'SQ', value: [referenced('ReferencedImageSequence')] },
    {
      tag: 0x00081032,
      vr: 'SQ',
      value: [
        [
          { tag: 0x00080100, vr: 'SH', value: 'P1' },
          { tag: 0x00080102, vr: 'SH', value: 'L' },
          element(0x00080104, 'LO', 'ProcedureCodeSequence > CodeMeaning'),
        ],
      ],
    },
    {
      tag: 0x00400275,
      vr: 'SQ',
      value: [
        [
          element(0x00321032, 'PN', 'RequestAttributesSequence > RequestingPhysician'),
          element(0x00400007, 'LO', 'RequestAttributesSequence > ScheduledProcedureStepDescription'),
          element(0x00400009, 'SH', 'RequestAttributesSequence > ScheduledProcedureStepID'),
          element(0x00401001, 'SH', 'RequestAttributesSequence > RequestedProcedureID'),
          {
            tag: 0x00400008,
            vr: 'SQ',
            value: [
              [
                { tag: 0x00080100, vr: 'SH', value: 'S1' },
                { tag: 0x00080102, vr: 'SH', value: 'L' },
                element(0x00080104, 'LO', 'RequestAttributesSequence > ScheduledProtocolCodeSequence > CodeMeaning'),
              ],
            ],
          },
        ],
      ],
    },
    {
      tag: 0x00101002,
      vr: 'SQ',
      value: [[element(0x00100020, 'LO', 'OtherPatientIDsSequence > PatientID'), { tag: 0x00100022, vr: 'CS', value: 'TEXT' }]],
    },
    // Two levels deep: the original values a modifying system kept.
    {
      tag: 0x04000561,
      vr: 'SQ',
      value: [
        [
          {
            tag: 0x04000550,
            vr: 'SQ',
            value: [
              [
                element(0x00100010, 'PN', 'OriginalAttributesSequence > ModifiedAttributesSequence > PatientName'),
                element(0x00100020, 'LO', 'OriginalAttributesSequence > ModifiedAttributesSequence > PatientID'),
              ],
            ],
          },
          element(0x04000563, 'LO', 'OriginalAttributesSequence > ModifyingSystem'),
          { tag: 0x04000565, vr: 'CS', value: 'COERCE' },
        ],
      ],
    },
    // Private tags: a creator, text, binary, a private sequence and a long text of another creator.
    { tag: 0x00090010, vr: 'LO', value: 'CXRLENS TEST' },
    element(0x00091001, 'LO', 'private (0009,1001) LO'),
    { tag: 0x00091002, vr: 'OB', value: new TextEncoder().encode(mark('private (0009,1002) OB', 'LO')) },
    { tag: 0x00091003, vr: 'SQ', value: [[element(0x00100010, 'PN', 'private sequence (0009,1003) > PatientName')]] },
    { tag: 0x00290010, vr: 'LO', value: 'SIEMENS CSA HEADER' },
    { tag: 0x00291010, vr: 'UT', value: `free text ${mark('private (0029,1010) UT', 'LO')} end` },
    // Coded attributes carrying free text: the code-set mapping stores them as unknown.
    { tag: 0x00100040, vr: 'CS', value: mark('PatientSex (free text)', 'LO', true) },
    { tag: 0x00185101, vr: 'CS', value: mark('ViewPosition (free text)', 'LO', true) },
  )
  const valueOf = (tag: number) => extra.find((e) => e.tag === tag)!.value as string
  return {
    extra,
    markers,
    sopInstanceUid: valueOf(0x00080018),
    patientName: valueOf(0x00100010),
    patientId: valueOf(0x00100020),
    birthDate: valueOf(0x00100030),
    studyInstanceUid: valueOf(0x0020000d),
  }
}

export interface Hit {
  file: string
  where: string
  value: string
  encoding: 'utf8' | 'utf16le'
}

const lowerAscii = (bytes: Buffer) => {
  const out = Buffer.from(bytes)
  for (let i = 0; i < out.length; i++) if (out[i] >= 0x41 && out[i] <= 0x5a) out[i] += 0x20
  return out
}

/**
 * Where the bytes hold a hash-derived UID (2.25.<decimal>, srExport's derivedUid), as [start, end)
 * byte ranges. Its digits are a hash of a pseudonym that is random per data folder, so an 8-digit
 * date marker turns up in one such UID in about 80,000 by chance (scripts/chanceMatchOdds.ts); no
 * plaintext can be in it.
 */
function derivedUidSpans(bytes: Buffer): Array<[number, number]> {
  return [...bytes.toString('latin1').matchAll(/2\.25\.\d+/g)].map((m) => [m.index, m.index + m[0].length])
}

/** Whether `needle` occurs in `haystack` anywhere but wholly inside one of `spans` (asked for only once it occurs at all). */
function occursOutside(haystack: Buffer, needle: Buffer, spans: () => Array<[number, number]>): boolean {
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1))
    if (!spans().some(([start, end]) => at >= start && at + needle.length <= end)) return true
  return false
}

/**
 * Every occurrence of any marker in the bytes, ASCII case-insensitive, as UTF-8 and as UTF-16LE;
 * a marker of digits only does not count inside a hash-derived UID (see derivedUidSpans).
 */
export function findMarkers(file: string, bytes: Buffer, markers: Marker[]): Hit[] {
  const haystack = lowerAscii(bytes)
  let uids: Array<[number, number]> | null = null
  const uidSpans = () => (uids ??= derivedUidSpans(haystack))
  const none = () => []
  const hits: Hit[] = []
  for (const m of markers) {
    const needle = m.value.replace(/[A-Z]/g, (c) => c.toLowerCase())
    const spans = /^\d+$/.test(needle) ? uidSpans : none
    for (const encoding of ['utf8', 'utf16le'] as const) {
      if (occursOutside(haystack, Buffer.from(needle, encoding), spans)) hits.push({ file, where: m.where, value: m.value, encoding })
    }
  }
  return hits
}
