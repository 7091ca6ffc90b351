/** Native dialogs behind the two desktop-only channels: open models, save a report. */
import { writeFile } from 'node:fs/promises'
import type { BrowserWindow, Dialog } from 'electron'
import type { ModelInfo } from '../../common/api.js'
import type { ChannelImpls } from '../api/handlers.js'
import { toModelInfo } from '../api/views.js'
import { exportReport } from '../api/report-export.js'
import type { PdfRenderer } from '../report/pdf.js'
import type { Studio } from '../studio.js'

export function desktopChannels(
  studio: Studio,
  dialog: Dialog,
  parent: () => BrowserWindow | null,
  pdf: PdfRenderer,
): Pick<ChannelImpls, 'models:openDialog' | 'reports:saveDialog'> {
  return {
    'models:openDialog': async () => {
      const options = {
        title: 'Import ONNX models',
        filters: [{ name: 'ONNX models', extensions: ['onnx'] }],
        properties: ['openFile', 'multiSelections'] as ('openFile' | 'multiSelections')[],
      }
      const win = parent()
      const picked = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options)
      if (picked.canceled) return []
      const out: ModelInfo[] = []
      for (const path of picked.filePaths) out.push(toModelInfo(await studio.importModel(path), studio.store))
      return out
    },
    'reports:saveDialog': async ({ runIds, format }) => {
      const report = await exportReport(studio, runIds, format, { pdf })
      const options = {
        title: 'Save report',
        defaultPath: report.fileName,
        filters: [{ name: format.toUpperCase(), extensions: [format] }],
      }
      const win = parent()
      const picked = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options)
      if (picked.canceled || !picked.filePath) return null
      await writeFile(picked.filePath, report.encoding === 'base64' ? Buffer.from(report.content, 'base64') : report.content)
      return { path: picked.filePath }
    },
  }
}
