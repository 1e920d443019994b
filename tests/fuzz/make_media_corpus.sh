#!/usr/bin/env bash
# Writes the media_probe seed corpus: small versions (a fraction of a second, 64x48) of the files
# of the transcoder's odd-input table (tests/transcoder/odd_inputs_test.cpp), made with the ffmpeg
# CLI and Python. Run once when the table grows; the files are committed.
#   bash tests/fuzz/make_media_corpus.sh tests/fuzz/corpus/media_probe
set -euo pipefail
out=${1:?folder}
mkdir -p "$out"
cd "$out"
ff() { ffmpeg -v error -y "$@"; }
src() { echo "testsrc2=size=$1:rate=$2:duration=$3"; }

ff -f lavfi -i "$(src 64x48 15 0.4)" -f lavfi -i sine=duration=0.4:sample_rate=8000 -c:v libx264 -preset ultrafast \
   -c:a aac -b:a 16k -shortest small_h264_aac.mp4
head -c $(( $(stat -c %s small_h264_aac.mp4) / 2 )) small_h264_aac.mp4 > truncated_mp4   # moov at the end: gone
ff -f lavfi -i "$(src 16x16 10 0.3)" -vf scale=1:1 -c:v ffv1 one_pixel.mkv
ff -f lavfi -i "$(src 33x17 30 0.2)" -f lavfi -i sine=duration=0.2:sample_rate=8000 -c:v ffv1 -pix_fmt yuv420p \
   -c:a flac odd_size.mkv
ff -f lavfi -i "$(src 64x36 15 0.4)" -c:v libx264 -preset ultrafast -an landscape.tmp.mp4
ff -i landscape.tmp.mp4 -c copy -metadata:s:v:0 rotate=90 rotated_portrait.mp4 && rm landscape.tmp.mp4
ff -f lavfi -i sine=duration=0.5:sample_rate=8000 -c:a aac -b:a 16k audio_only.m4a
ff -f lavfi -i sine=frequency=300:sample_rate=8000:duration=0.2 -ac 6 -c:a pcm_s16le surround.wav
ff -f lavfi -i "$(src 64x48 15 0.4)" -c:v libx264 -preset ultrafast -an video_only.mp4
ff -f lavfi -i "$(src 64x48 15 0.8)" -vf "select='not(eq(mod(n\,7)\,3))'" -fps_mode vfr -c:v libx264 \
   -preset ultrafast -an vfr.mkv
ff -f lavfi -i "$(src 64x48 25 0.3)" -f lavfi -i sine=duration=0.3 -c:v mpeg2video -flags +ilme+ildct -top 1 \
   -vf tinterlace=mode=interleave_top,fieldorder=tff -c:a mp2 -aspect 16:9 -f mpegts interlaced_mpeg2.ts
ff -f lavfi -i "$(src 64x48 15 0.2)" -c:v libx265 -preset ultrafast -pix_fmt yuv420p10le \
   -x265-params log-level=error -an hevc10.mkv
ff -f lavfi -i "$(src 64x48 15 0.3)" -f lavfi -i sine=duration=0.3 -c:v libvpx-vp9 -deadline realtime -cpu-used 8 \
   -b:v 50k -c:a libopus -b:a 16k vp9_opus.webm
ff -f lavfi -i "$(src 64x48 15 0.2)" -c:v libaom-av1 -cpu-used 8 -b:v 50k -an av1.mkv
ff -f lavfi -i "$(src 64x48 15 0.3)" -f lavfi -i sine=duration=0.3:sample_rate=22050 -c:v flv -c:a aac -b:a 16k screen.flv
ff -f lavfi -i "$(src 64x48 15 0.3)" -f lavfi -i sine=duration=0.3:sample_rate=8000 -c:v mpeg4 -c:a pcm_s16le \
   old_camera.avi
ff -f lavfi -i "$(src 64x16 5 0.2)" -c:v ffv1 -aspect 100000000:1 display_aspect_255_1.mkv  # clamped to 255:1
ff -f lavfi -i "$(src 16x16 10 0.1)" -frames:v 1 -f image2 -c:v png diagram.png
ff -f lavfi -i "$(src 16x16 10 0.1)" -frames:v 1 -f image2 -c:v mjpeg photo.jpg
printf '%%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%%%EOF\n' > slides.pdf
printf '第三单元 分数的初步认识\n教学目标：认识几分之一。\nThis is not a video.\n' > text_named_mp4
head -c 2048 /dev/urandom > noise
python3 - <<'PY'
import zipfile
for name, part, content_types in [("lesson_slides.pptx", "ppt/presentation.xml", True),
                                  ("plan.docx", "word/document.xml", True),
                                  ("sheet.xlsx", "xl/workbook.xml", True),
                                  ("archive.zip", "readme.txt", False)]:
    with zipfile.ZipFile(name, "w", zipfile.ZIP_DEFLATED) as z:
        if content_types:
            z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(part, "<x>分数</x>")
PY
