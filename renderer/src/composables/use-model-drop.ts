import { onScopeDispose, ref, type Ref } from 'vue'

const hasFiles = (e: DragEvent): boolean => [...(e.dataTransfer?.types ?? [])].includes('Files')

/**
 * Files dropped anywhere in the window go to `onFiles`, on every view. A drop zone that handles
 * its own drop (ModelImportZone) calls preventDefault first and is left alone. Without this the
 * browser would open a dropped file in place of the app. Returns whether files are over the window.
 */
export function useModelDrop(onFiles: (files: File[]) => void): Ref<boolean> {
  const dragging = ref(false)
  let depth = 0
  const enter = (e: DragEvent): void => {
    if (!hasFiles(e)) return
    depth += 1
    dragging.value = true
  }
  const leave = (e: DragEvent): void => {
    if (!hasFiles(e)) return
    depth = Math.max(0, depth - 1)
    if (depth === 0) dragging.value = false
  }
  const over = (e: DragEvent): void => {
    if (hasFiles(e)) e.preventDefault()
  }
  const drop = (e: DragEvent): void => {
    depth = 0
    dragging.value = false
    if (e.defaultPrevented || !hasFiles(e)) return
    e.preventDefault()
    const files = [...(e.dataTransfer?.files ?? [])]
    if (files.length > 0) onFiles(files)
  }
  window.addEventListener('dragenter', enter)
  window.addEventListener('dragleave', leave)
  window.addEventListener('dragover', over)
  window.addEventListener('drop', drop)
  onScopeDispose(() => {
    window.removeEventListener('dragenter', enter)
    window.removeEventListener('dragleave', leave)
    window.removeEventListener('dragover', over)
    window.removeEventListener('drop', drop)
  })
  return dragging
}
