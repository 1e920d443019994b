#!/usr/bin/env bash
# Makes a lesson-like clip: a slide with Chinese text, a moving region (the teacher), camera-like
# noise and speech-like audio (a modulated voice band with pauses).
# Usage: make_lesson_clip.sh OUT SECONDS [WxH] [FPS] [NOISE] [KBPS]
# NOISE is the temporal noise strength (6: a classroom camera; about 20: a phone's small sensor in
# a dim room); KBPS the source's H.264 bitrate (default about 0.16 bit per pixel).
set -euo pipefail
out=$1
seconds=$2
size=${3:-1920x1080}
fps=${4:-30}
noise=${5:-6}
w=${size%x*}
h=${size#*x}
font=$(fc-match -f '%{file}' 'WenQuanYi Micro Hei:lang=zh-cn' 2>/dev/null || true)
case "$font" in *wqy*|*CJK*|*cjk*) ;; *) font="" ;; esac
text_filter=""
if [ -f "$font" ]; then
  fs=$((h / 14))
  text_filter=",drawtext=fontfile='$font':text='第三单元 分数的初步认识':x=w*0.08:y=h*0.12:fontsize=$fs:fontcolor=0x202020,drawtext=fontfile='$font':text='把一个蛋糕平均分成4份，每份是它的四分之一。':x=w*0.08:y=h*0.32:fontsize=$((fs*2/3)):fontcolor=0x303030,drawtext=fontfile='$font':text='%{pts\\:hms}':x=w*0.08:y=h*0.85:fontsize=$((fs/2)):fontcolor=0x606060"
fi
# Slide background, a board with lines, a moving "teacher" box, and noise.
video="color=c=0xf4f1e8:s=${w}x${h}:r=${fps}:d=${seconds},format=yuv420p\
,drawbox=x=iw*0.05:y=ih*0.05:w=iw*0.9:h=ih*0.9:color=0x2f5d50@0.15:t=8\
,drawgrid=w=iw/8:h=ih/6:t=1:c=0x808080@0.2\
,drawbox=x='iw*0.55+iw*0.2*sin(t/3)':y=ih*0.45:w=iw*0.18:h=ih*0.45:color=0x7a4a2a@0.9:t=fill\
,drawbox=x='iw*0.6+iw*0.2*sin(t/3)':y=ih*0.35:w=iw*0.08:h=ih*0.12:color=0xe0b090@1:t=fill\
${text_filter}\
,noise=alls=${noise}:allf=t"
# Speech-like audio: a voice-band tone with syllable-rate amplitude modulation and pauses.
audio="aevalsrc=exprs='(0.35*sin(2*PI*180*t)+0.2*sin(2*PI*360*t+sin(t))+0.1*sin(2*PI*900*t))*(0.5+0.5*sin(2*PI*4*t))*gt(sin(2*PI*t/5)\,-0.6)':s=48000:d=${seconds},pan=stereo|c0=c0|c1=c0"
# Encoded as a phone or a recording classroom would: H.264 at about 0.16 bit per pixel
# (10 Mbit/s for 1080p30), 2 s GOP, AAC 128k.
kbps=${6:-$((w * h * fps * 16 / 100 / 1000))}
ffmpeg -hide_banner -loglevel error -nostdin -y -f lavfi -i "$video" -f lavfi -i "$audio" \
  -c:v libx264 -preset veryfast -b:v ${kbps}k -maxrate $((kbps * 3 / 2))k -bufsize $((kbps * 2))k \
  -pix_fmt yuv420p -g $((fps * 2)) -c:a aac -b:a 128k -shortest "$out"
