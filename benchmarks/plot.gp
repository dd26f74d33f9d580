# Renders tools/bench's figures: gnuplot -e "cycle='...'; mdb='...'; out='...'" plot.gp
set terminal svg size 1000,440 font "sans,11" background "white"
set output out
set multiplot layout 1,2
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top left
set yrange [0:*]
set title "acquire + release, fake driver (ns, lower is better)"
set ylabel "ns per cycle"
set xtics nomirror font ",9"
plot cycle using 2:xtic(1) title "" linecolor rgb "#3b6ea8"
set title "MariaDB on loopback (µs per operation)"
set ylabel "µs"
set logscale y
set yrange [5:*]
plot mdb using 2:xtic(1) title "TCP" linecolor rgb "#3b6ea8", \
     '' using 3 title "unix socket" linecolor rgb "#e08a2c"
unset multiplot
